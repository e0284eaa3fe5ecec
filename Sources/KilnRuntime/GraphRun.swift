// Running one graph's nodes in order over an environment of values.

import KilnIR

/// The values computed so far while running a graph, with the enclosing graph's environment
/// behind it so that subgraphs can read the values they capture.
final class Environment {
  private var values: [ObjectIdentifier: RuntimeValue] = [:]
  private let parent: Environment?

  init(parent: Environment?) { self.parent = parent }

  subscript(value: Value) -> RuntimeValue? {
    get { values[ObjectIdentifier(value)] ?? parent?[value] }
    set { values[ObjectIdentifier(value)] = newValue }
  }

  /// Forgets a value of this graph once nothing reads it any more.
  func release(_ value: Value) { values[ObjectIdentifier(value)] = nil }
}

/// Runs the nodes of one graph. Each value is dropped after its last reader, so memory holds
/// only what later nodes still need.
struct GraphRun {
  let graph: Graph
  let context: ExecutionContext

  func run(inputs: [RuntimeValue?], parent: Environment?) throws -> [RuntimeValue?] {
    let environment = Environment(parent: parent)
    for (value, input) in zip(graph.inputs, inputs) { environment[value] = input }
    for value in graph.initializers where environment[value] == nil {
      environment[value] = .tensor(try context.constant(value))
    }
    let lastReader = context.lastReaders(of: graph) { Self.lastReaders(graph) }
    for (index, node) in graph.nodes.enumerated() {
      try runNode(node, in: environment)
      for value in lastReader[index] { environment.release(value) }
    }
    return graph.outputs.map { environment[$0] }
  }

  private func runNode(_ node: Node, in environment: Environment) throws {
    guard let kernel = context.registry.valueKernel(for: node) else {
      throw KilnError.badInput("no kernel for this op", node: node.name, op: node.qualifiedOpType)
    }
    let inputs = node.inputs.map { $0.flatMap { environment[$0] } }
    let invocation = KernelInvocation(
      node: node, opset: context.opset(node.domain), values: inputs, threads: context.threads,
      runValueSubgraph: { subgraph, subgraphInputs in
        try GraphRun(graph: subgraph, context: context).run(
          inputs: subgraphInputs, parent: environment)
      })
    let outputs = try kernel(invocation)
    guard outputs.count <= node.outputs.count else {
      throw KilnError.internalError(
        "kernel \(node.opType) returned \(outputs.count) outputs for \(node.outputs.count)")
    }
    for (value, output) in zip(node.outputs, outputs) {
      if let value { environment[value] = output }
    }
  }

  /// For each node position, the values of this graph whose last reader it is. Graph outputs
  /// and values read by subgraphs later are kept to the end.
  private static func lastReaders(_ graph: Graph) -> [[Value]] {
    var last: [ObjectIdentifier: (Value, Int)] = [:]
    for (index, node) in graph.nodes.enumerated() {
      for value in node.valuesRead() { last[ObjectIdentifier(value)] = (value, index) }
    }
    let kept = Set(graph.outputs.map(ObjectIdentifier.init))
    var readers = [[Value]](repeating: [], count: graph.nodes.count)
    for (key, entry) in last where !kept.contains(key) { readers[entry.1].append(entry.0) }
    return readers
  }
}
