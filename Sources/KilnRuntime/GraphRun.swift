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
///
/// With an observer, every tensor a node produces (and every fed graph input) is shown to it
/// as soon as it exists, or with `observed` only the tensors it names. A fused producer and
/// activation run unfused only when the observer would see the producer's own output: always
/// without `observed`, else only when `observed` names that output.
/// DequantizeLinear nodes of fixed initializers run once per executor, within a memory budget
/// (see `GraphPlan`).
struct GraphRun {
  let graph: Graph
  let context: ExecutionContext
  var observer: TensorObserver? = nil
  /// The names of the values shown to the observer; nil shows every value.
  var observed: Set<String>? = nil

  func run(inputs: [RuntimeValue?], parent: Environment?) throws -> [RuntimeValue?] {
    let environment = Environment(parent: parent)
    for (value, input) in zip(graph.inputs, inputs) {
      environment[value] = input
      if value.constant == nil { try observe([value], in: environment) }
    }
    for value in graph.initializers where environment[value] == nil {
      environment[value] = .tensor(try context.constant(value))
    }
    let plan = context.plan(for: graph)
    for (index, node) in graph.nodes.enumerated() {
      if plan.constantDequantizations.contains(index) {
        try runConstant(node, in: environment)
        try observe(node.outputs, in: environment)
      } else if let fusion = plan.fusions[index], fuses(node.outputs.first ?? nil) {
        try runNode(node, fusing: fusion, in: environment)
        try observe(fusion.outputs, in: environment)
      } else if !plan.absorbed.contains(index) || !fuses(node.inputs.first ?? nil) {
        try runNode(node, fusing: nil, in: environment)
        try observe(node.outputs, in: environment)
      }
      for value in plan.lastReaders[index] { environment.release(value) }
    }
    return graph.outputs.map { environment[$0] }
  }

  /// Whether a producer whose own output is `preActivation` may apply the activation after it:
  /// when the observer will not look at that output.
  private func fuses(_ preActivation: Value?) -> Bool {
    guard observer != nil else { return true }
    guard let observed, let preActivation else { return false }
    return !observed.contains(preActivation.name)
  }

  /// Shows the observer those of `values` that hold a tensor and that it observes.
  private func observe(_ values: [Value?], in environment: Environment) throws {
    guard let observer else { return }
    for case let value? in values where observed?.contains(value.name) ?? true {
      if case .tensor(let tensor)? = environment[value] { try observer(value.name, tensor) }
    }
  }

  /// Sets the outputs of `node`, whose outputs do not change between runs, from the context,
  /// running it the first time.
  private func runConstant(_ node: Node, in environment: Environment) throws {
    let outputs = try context.constantOutputs(of: node) {
      try runNode(node, fusing: nil, in: environment)
      return node.outputs.map { $0.flatMap { environment[$0] } }
    }
    for (value, output) in zip(node.outputs, outputs) {
      if let value { environment[value] = output }
    }
  }

  /// Runs `node`; with `fusion`, the node also applies the activation node after it and its
  /// first output becomes that node's output.
  private func runNode(_ node: Node, fusing fusion: ActivationFusion?, in environment: Environment) throws {
    guard let kernel = context.registry.valueKernel(for: node) else {
      throw KilnError.badInput("no kernel for this op", node: node.name, op: node.qualifiedOpType)
    }
    let inputs = node.inputs.map { $0.flatMap { environment[$0] } }
    var invocation = KernelInvocation(
      node: node, opset: context.opset(node.domain), values: inputs, threads: context.threads,
      runValueSubgraph: { subgraph, subgraphInputs in
        try GraphRun(graph: subgraph, context: context).run(
          inputs: subgraphInputs, parent: environment)
      })
    invocation.fusedActivation = fusion?.clamp
    invocation.context = context
    let outputs = try kernel(invocation)
    guard outputs.count <= node.outputs.count else {
      throw KilnError.internalError(
        "kernel \(node.opType) returned \(outputs.count) outputs for \(node.outputs.count)")
    }
    for (value, output) in zip(fusion.map { $0.outputs } ?? node.outputs, outputs) {
      if let value { environment[value] = output }
    }
  }
}
