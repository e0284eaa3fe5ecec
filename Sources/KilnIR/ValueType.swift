// The type of a value flowing through a graph: tensors, sequences, maps and the rest.

/// What kind of data a graph value carries, mirroring ONNX's `TypeProto`.
public indirect enum ValueType: Hashable, Sendable, CustomStringConvertible {
  /// A dense tensor; a nil shape means the rank is unknown.
  case tensor(DataType, Shape?)
  /// A sparse tensor; a nil shape means the rank is unknown.
  case sparseTensor(DataType, Shape?)
  /// A sequence of values of one type (nil when the element type is not given).
  case sequence(ValueType?)
  /// A value that may be absent.
  case optional(ValueType?)
  /// A map from a scalar key type to values of one type.
  case map(key: DataType, value: ValueType?)
  /// An opaque type named by a domain and a name.
  case opaque(domain: String, name: String)
  /// A type record that says nothing (present, but with no kind set).
  case unspecified

  /// The element type and shape when this is a dense tensor.
  public var tensor: (dataType: DataType, shape: Shape?)? {
    if case .tensor(let dataType, let shape) = self { return (dataType, shape) }
    return nil
  }

  public var description: String {
    switch self {
    case .tensor(let dataType, let shape): dataType.name + (shape?.description ?? "[*]")
    case .sparseTensor(let dataType, let shape):
      "sparse<" + dataType.name + (shape?.description ?? "[*]") + ">"
    case .sequence(let element): "seq<\(element?.description ?? "?")>"
    case .optional(let element): "optional<\(element?.description ?? "?")>"
    case .map(let key, let value): "map<\(key.name),\(value?.description ?? "?")>"
    case .opaque(let domain, let name): "opaque<\(domain).\(name)>"
    case .unspecified: "?"
    }
  }
}
