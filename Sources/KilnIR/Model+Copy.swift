// Deep copies of models: the same graph structure in new objects, sharing tensor storage.

extension Model {
  /// A deep copy: new graphs, nodes and values with the same names, types, attributes and
  /// order, so that rewriting the copy leaves this model untouched. Tensors share their
  /// storage (bytes in memory and mapped files are never written in place), so a copy costs
  /// the size of the graph, not of the weights.
  public func copy() -> Model {
    var copier = GraphCopier()
    return Model(
      irVersion: irVersion, opsetImports: opsetImports, producerName: producerName,
      producerVersion: producerVersion, domain: domain, modelVersion: modelVersion,
      docString: docString, metadata: metadata, graph: copier.copy(graph), origin: origin)
  }
}

/// Copies graphs, mapping each value to one new value, so that a subgraph's reads of an
/// enclosing graph's values (implicit captures) reach the copies of those values.
private struct GraphCopier {
  private var copies: [ObjectIdentifier: Value] = [:]

  mutating func copy(_ graph: Graph) -> Graph {
    Graph(
      name: graph.name, docString: graph.docString, metadata: graph.metadata,
      inputs: graph.inputs.map { copy($0) }, outputs: graph.outputs.map { copy($0) },
      initializers: graph.initializers.map { copy($0) },
      annotatedValues: graph.annotatedValues.map { copy($0) },
      sparseInitializers: graph.sparseInitializers, nodes: graph.nodes.map { copy($0) },
      origin: graph.origin)
  }

  private mutating func copy(_ node: Node) -> Node {
    Node(
      name: node.name, opType: node.opType, domain: node.domain, overload: node.overload,
      inputs: node.inputs.map { $0.map { copy($0) } }, outputs: node.outputs.map { $0.map { copy($0) } },
      attributes: node.attributes.map { copy($0) }, docString: node.docString,
      metadata: node.metadata, origin: node.origin)
  }

  private mutating func copy(_ attribute: Attribute) -> Attribute {
    var copied = attribute
    switch attribute.value {
    case .graph(let graph): copied.value = .graph(copy(graph))
    case .graphs(let graphs): copied.value = .graphs(graphs.map { copy($0) })
    default: break
    }
    return copied
  }

  private mutating func copy(_ value: Value) -> Value {
    if let existing = copies[ObjectIdentifier(value)] { return existing }
    let copied = Value(
      name: value.name, type: value.type, docString: value.docString, metadata: value.metadata,
      constant: value.constant, origin: value.origin)
    copies[ObjectIdentifier(value)] = copied
    return copied
  }
}
