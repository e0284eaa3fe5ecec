// What the executor works out once per graph: when values die, and which activations fuse.

import CKilnKernels
import KilnIR

/// A graph's run plan: for each node, the values it reads last (so their memory can go), and
/// the Relu/Clip nodes that the convolution before them applies in place.
struct GraphPlan {
  /// For each node position, the values of this graph whose last reader it is. Graph outputs
  /// and values read by subgraphs later are kept to the end.
  let lastReaders: [[Value]]
  /// By producer position: the activation it applies and the outputs it then writes.
  let fusions: [Int: ActivationFusion]
  /// Positions of the activation nodes a producer absorbed; they do not run on their own.
  let absorbed: Set<Int>
  /// Positions of the DequantizeLinear nodes that read only initializers no caller can feed
  /// (a quantized model's weights): their outputs are the same in every run, so they are
  /// computed once and kept (within `ExecutionContext.constantOutputBudget`).
  let constantDequantizations: Set<Int>

  init(_ graph: Graph, context: ExecutionContext) {
    lastReaders = Self.lastReaders(graph)
    fusions = ActivationFusion.plan(graph, context: context)
    absorbed = Set(fusions.values.map(\.activation))
    constantDequantizations = Self.constantDequantizations(graph)
  }

  private static func constantDequantizations(_ graph: Graph) -> Set<Int> {
    let fed = Set(graph.inputs.map(ObjectIdentifier.init))
    return Set(
      graph.nodes.indices.filter { index in
        let node = graph.nodes[index]
        return node.opType == "DequantizeLinear" && (node.domain.isEmpty || node.domain == "ai.onnx")
          && node.inputs.allSatisfy { input in
            input.map { $0.constant != nil && !fed.contains(ObjectIdentifier($0)) } ?? true
          }
      })
  }

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

/// A clamp that a kernel applies to its float32 result in place, standing in for the Relu or
/// Clip node after it: the activation then costs no tensor and no pass over cold memory.
public struct FusedActivation: Sendable, Equatable {
  public let low: Float
  public let high: Float

  /// Clamps `count` values at `values` (NaN stays NaN, as the Relu and Clip kernels do).
  func apply(to values: UnsafeMutablePointer<Float>, count: Int) {
    kiln_clamp(values, count, low, high)
  }
}

/// A Conv, or a float32 Add, Sub, Mul or Div, whose only reader is a Relu or a Clip with
/// constant bounds: the producer runs with the clamp and writes the activation's output
/// directly. Safe because the producer's own output has no other reader (nor is it a graph
/// output), so nothing can observe the unclamped values.
struct ActivationFusion {
  /// The position of the absorbed activation node.
  let activation: Int
  let clamp: FusedActivation
  /// The activation node's outputs, which the producer writes instead of its own.
  let outputs: [Value?]

  /// Whether `node`'s kernel applies `KernelInvocation.fusedActivation`: Conv's does, and the
  /// arithmetic kernels' do for a float32 result.
  private static func isProducer(_ node: Node) -> Bool {
    guard node.domain.isEmpty || node.domain == "ai.onnx" else { return false }
    return node.opType == "Conv" || FloatArithmetic.fuses(node)
  }

  static func plan(_ graph: Graph, context: ExecutionContext) -> [Int: ActivationFusion] {
    let positions = Dictionary(
      graph.nodes.enumerated().map { (ObjectIdentifier($0.element), $0.offset) }, uniquingKeysWith: { first, _ in first })
    let graphOutputs = Set(graph.outputs.map(ObjectIdentifier.init))
    var fusions: [Int: ActivationFusion] = [:]
    for (index, node) in graph.nodes.enumerated() where isProducer(node) {
      guard let output = node.outputs.first ?? nil, !graphOutputs.contains(ObjectIdentifier(output)),
            output.uses.count == 1, let reader = output.uses.first?.node, reader.inputs.first ?? nil === output,
            let position = positions[ObjectIdentifier(reader)], position > index,
            let clamp = clamp(of: reader, context: context)
      else { continue }
      fusions[index] = ActivationFusion(activation: position, clamp: clamp, outputs: reader.outputs)
    }
    return fusions
  }

  /// The bounds of a Relu, or of a Clip whose bounds are attributes or float32 initializers.
  private static func clamp(of node: Node, context: ExecutionContext) -> FusedActivation? {
    guard node.domain.isEmpty || node.domain == "ai.onnx" else { return nil }
    switch node.opType {
    case "Relu":
      return FusedActivation(low: 0, high: .infinity)
    case "Clip" where context.opset(node.domain) < 11:
      return FusedActivation(low: node.float("min", default: -.infinity), high: node.float("max", default: .infinity))
    case "Clip":
      guard let low = bound(node, 1, context, default: -.infinity),
            let high = bound(node, 2, context, default: .infinity) else { return nil }
      return FusedActivation(low: low, high: high)
    default:
      return nil
    }
  }

  /// Clip input `index` as a float32 constant; its default when omitted; nil otherwise.
  private static func bound(_ node: Node, _ index: Int, _ context: ExecutionContext, default value: Float) -> Float? {
    guard index < node.inputs.count, let input = node.inputs[index] else { return value }
    guard input.constant != nil, let tensor = try? context.constant(input), tensor.dataType == .float,
          tensor.elementCount == 1 else { return nil }
    return tensor.elements(as: Float.self)[0]
  }
}
