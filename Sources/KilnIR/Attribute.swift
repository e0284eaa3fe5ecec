// Node attributes: named constants that configure an op.

import Foundation

/// The kind of an attribute's value, numbered as ONNX's `AttributeProto.AttributeType`.
public enum AttributeKind: Int32, Sendable, Hashable {
  case undefined = 0, float = 1, int = 2, string = 3, tensor = 4, graph = 5
  case floats = 6, ints = 7, strings = 8, tensors = 9, graphs = 10
  case sparseTensor = 11, sparseTensors = 12, typeProto = 13, typeProtos = 14
}

/// A serialized message that Kiln carries through without interpreting (sparse tensors).
public struct OpaqueMessage: Sendable, Hashable {
  public var bytes: Data
  public init(_ bytes: Data) { self.bytes = bytes }
}

/// The value of a node attribute.
public enum AttributeValue {
  case float(Float)
  case int(Int64)
  /// ONNX strings are bytes; most are UTF-8 text.
  case string(Data)
  case tensor(Tensor)
  case graph(Graph)
  case sparseTensor(OpaqueMessage)
  case type(ValueType)
  case floats([Float])
  case ints([Int64])
  case strings([Data])
  case tensors([Tensor])
  case graphs([Graph])
  case sparseTensors([OpaqueMessage])
  case types([ValueType])
  /// Inside a function body: the value comes from the caller's attribute of this name.
  case reference(String, AttributeKind)

  /// The kind tag of this value.
  public var kind: AttributeKind {
    switch self {
    case .float: .float
    case .int: .int
    case .string: .string
    case .tensor: .tensor
    case .graph: .graph
    case .sparseTensor: .sparseTensor
    case .type: .typeProto
    case .floats: .floats
    case .ints: .ints
    case .strings: .strings
    case .tensors: .tensors
    case .graphs: .graphs
    case .sparseTensors: .sparseTensors
    case .types: .typeProtos
    case .reference(_, let kind): kind
    }
  }

  /// The subgraphs this value holds (If branches, Loop and Scan bodies).
  public var subgraphs: [Graph] {
    switch self {
    case .graph(let graph): [graph]
    case .graphs(let graphs): graphs
    default: []
    }
  }
}

/// A named attribute of a node.
public struct Attribute {
  public var name: String
  public var value: AttributeValue
  public var docString: String
  /// How the source format stored this attribute.
  public var origin: SourceRecord?

  public init(
    _ name: String, _ value: AttributeValue, docString: String = "", origin: SourceRecord? = nil
  ) {
    self.name = name
    self.value = value
    self.docString = docString
    self.origin = origin
  }
}

extension Node {
  /// The attribute named `name`, if the node has one.
  public func attribute(_ name: String) -> AttributeValue? {
    attributes.first { $0.name == name }?.value
  }

  /// An int attribute, or `defaultValue` when absent or of another kind.
  public func int(_ name: String, default defaultValue: Int64) -> Int64 {
    if case .int(let value) = attribute(name) { return value }
    return defaultValue
  }

  /// An ints attribute, or nil when absent or of another kind.
  public func ints(_ name: String) -> [Int64]? {
    if case .ints(let value) = attribute(name) { return value }
    return nil
  }

  /// A float attribute, or `defaultValue` when absent or of another kind.
  public func float(_ name: String, default defaultValue: Float) -> Float {
    if case .float(let value) = attribute(name) { return value }
    return defaultValue
  }

  /// A string attribute decoded as UTF-8, or nil when absent or of another kind.
  public func string(_ name: String) -> String? {
    if case .string(let value) = attribute(name) { return String(decoding: value, as: UTF8.self) }
    return nil
  }
}
