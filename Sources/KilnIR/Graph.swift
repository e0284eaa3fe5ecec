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
  /// Nodes in topological order. Each node's `owner` is this graph.
  public private(set) var nodes: [Node]
  /// The graphs held by the nodes' attributes, in node order; rebuilt after a node holding a
  /// graph comes or goes.
  private var cachedNestedGraphs: [Graph]?
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
    // A graph made over nodes that another graph holds (a view of it, for export) leaves
    // them to that graph.
    for node in nodes where node.owner == nil { node.owner = self }
  }

  /// Whether `node` is one of this graph's own nodes (not a subgraph's).
  public func contains(_ node: Node) -> Bool { node.owner === self }

  /// Appends `node` at the end of the node list.
  public func append(_ node: Node) {
    nodes.append(node)
    adopt(node)
  }

  /// Inserts `node` just before `anchor`, or at the end when `anchor` is not in this graph.
  public func insert(_ node: Node, before anchor: Node) {
    let position = contains(anchor) ? (nodes.firstIndex { $0 === anchor } ?? nodes.endIndex) : nodes.endIndex
    nodes.insert(node, at: position)
    adopt(node)
  }

  /// Removes `node` from the graph and detaches it from its values.
  public func remove(_ node: Node) {
    guard contains(node) else {
      node.detach()
      return
    }
    if let index = nodes.firstIndex(where: { $0 === node }) { nodes.remove(at: index) }
    release(node)
    node.detach()
  }

  /// Replaces the node list wholesale (for passes that reorder). Nodes that are not in the
  /// new list are detached from their values, so no use list points at a dropped node.
  public func setNodes(_ newNodes: [Node]) {
    let kept = Set(newNodes.map(ObjectIdentifier.init))
    for node in nodes where !kept.contains(ObjectIdentifier(node)) {
      release(node)
      node.detach()
    }
    nodes = newNodes
    for node in newNodes { adopt(node) }
  }

  /// The graphs held by this graph's own nodes (If branches, Loop and Scan bodies), in node
  /// order; not the graphs nested inside those.
  public var nestedGraphs: [Graph] {
    if let cachedNestedGraphs { return cachedNestedGraphs }
    let graphs = nodes.flatMap(\.subgraphs)
    cachedNestedGraphs = graphs
    return graphs
  }

  /// Forgets the nested graphs found so far; a node calls it when it gains or loses a graph
  /// attribute.
  func nestedGraphsChanged() { cachedNestedGraphs = nil }

  private func adopt(_ node: Node) {
    node.owner = self
    if node.holdsGraphs { cachedNestedGraphs = nil }
  }

  private func release(_ node: Node) {
    if node.owner === self { node.owner = nil }
    if node.holdsGraphs { cachedNestedGraphs = nil }
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

  /// This graph and every graph nested in its nodes' attributes, outermost first.
  public func allGraphs() -> [Graph] {
    var result = [self]
    for nested in nestedGraphs { result += nested.allGraphs() }
    return result
  }
}
