// Graphs: nodes in topological order with their inputs, outputs and constants.

/// A dataflow graph: the main graph of a model, or a subgraph of an If, Loop or Scan node.
///
/// Nodes are kept in topological order. A subgraph's nodes may read values of enclosing
/// graphs directly (ONNX's implicit captures); those values belong to the outer graph.
public final class Graph {
  public var name: String
  public var docString: String
  public var metadata: [MetadataEntry]
  /// Graph inputs in order. An input may also be an initializer (a default value).
  public var inputs: [Value]
  /// Graph outputs in order; an output may be an input or an initializer too.
  public var outputs: [Value]
  /// Initializers in order: values whose `constant` holds their data.
  public var initializers: [Value]
  /// Intermediate values with a declared type, in declaration order (ONNX `value_info`).
  public var annotatedValues: [Value]
  /// Sparse initializers, carried through uninterpreted.
  public var sparseInitializers: [OpaqueMessage]
  /// Nodes in topological order.
  public private(set) var nodes: [Node]
  /// How the source format stored this graph (ONNX: its GraphProto without repeated parts).
  public var origin: SourceRecord?

  public init(
    name: String = "", docString: String = "", metadata: [MetadataEntry] = [],
    inputs: [Value] = [], outputs: [Value] = [], initializers: [Value] = [],
    annotatedValues: [Value] = [], sparseInitializers: [OpaqueMessage] = [], nodes: [Node] = [],
    origin: SourceRecord? = nil
  ) {
    self.name = name
    self.docString = docString
    self.metadata = metadata
    self.inputs = inputs
    self.outputs = outputs
    self.initializers = initializers
    self.annotatedValues = annotatedValues
    self.sparseInitializers = sparseInitializers
    self.nodes = nodes
    self.origin = origin
  }

  /// Appends `node` at the end of the node list.
  public func append(_ node: Node) { nodes.append(node) }

  /// Inserts `node` just before `anchor`, or at the end when `anchor` is not in this graph.
  public func insert(_ node: Node, before anchor: Node) {
    let position = nodes.firstIndex { $0 === anchor } ?? nodes.endIndex
    nodes.insert(node, at: position)
  }

  /// Removes `node` from the graph and detaches it from its values.
  public func remove(_ node: Node) {
    nodes.removeAll { $0 === node }
    node.detach()
  }

  /// Replaces the node list wholesale (for passes that reorder). Nodes that are not in the
  /// new list are detached from their values, so no use list points at a dropped node.
  public func setNodes(_ newNodes: [Node]) {
    let kept = Set(newNodes.map(ObjectIdentifier.init))
    for node in nodes where !kept.contains(ObjectIdentifier(node)) { node.detach() }
    nodes = newNodes
  }

  /// Makes every reader of `old` read `new` instead, including graph outputs and subgraphs.
  public func replaceAllUses(of old: Value, with new: Value) {
    for use in old.uses { use.node.setInput(use.index, new) }
    outputs = outputs.map { $0 === old ? new : $0 }
  }

  /// Every node in this graph and, depth first, in its subgraphs.
  public func allNodes() -> [Node] {
    var result: [Node] = []
    for node in nodes {
      result.append(node)
      for subgraph in node.subgraphs { result += subgraph.allNodes() }
    }
    return result
  }
}
