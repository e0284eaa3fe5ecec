// Values: the edges of a graph, each with one producer and a list of uses.

/// A key-value pair of free-form metadata (ONNX `metadata_props`).
public struct MetadataEntry: Sendable, Hashable {
  public var key: String
  public var value: String
  public init(key: String, value: String) {
    self.key = key
    self.value = value
  }
}

/// One place where a value is consumed: input `index` of `node`.
public struct Use {
  public let node: Node
  public let index: Int
}

/// How a value remembers a use without keeping the node alive: a node that is dropped without
/// being detached simply disappears from the use list.
struct WeakUse {
  weak var node: Node?
  let index: Int
}

/// A value in a graph: a graph input, an initializer, or a node output.
///
/// A value knows the node that produces it (nil for graph inputs and initializers) and every
/// node input that reads it, so rewrites stay local. Identity is by object: two values may
/// share a name only across graph scopes.
public final class Value {
  public var name: String
  /// The declared type; nil when nothing is known.
  public var type: ValueType?
  public var docString: String
  public var metadata: [MetadataEntry]
  /// The constant data when this value is an initializer.
  public var constant: Tensor?
  /// How the source format declared this value (ONNX: its ValueInfoProto).
  public var origin: SourceRecord?

  /// The node whose output this is; nil for graph inputs and initializers.
  public internal(set) weak var producer: Node?
  /// Every node input that reads this value, in no particular order.
  public var uses: [Use] {
    storedUses.compactMap { use in use.node.map { Use(node: $0, index: use.index) } }
  }
  private var storedUses: [WeakUse] = []

  public init(
    name: String, type: ValueType? = nil, docString: String = "", metadata: [MetadataEntry] = [],
    constant: Tensor? = nil, origin: SourceRecord? = nil
  ) {
    self.name = name
    self.type = type
    self.docString = docString
    self.metadata = metadata
    self.constant = constant
    self.origin = origin
  }

  /// Whether this value is an initializer.
  public var isConstant: Bool { constant != nil }

  func addUse(_ node: Node, _ index: Int) {
    storedUses.append(WeakUse(node: node, index: index))
  }

  func removeUse(_ node: Node, _ index: Int) {
    if let position = storedUses.firstIndex(where: { $0.node === node && $0.index == index }) {
      storedUses.remove(at: position)
    }
  }
}
