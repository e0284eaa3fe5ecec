// fold-batchnorm: folds an inference BatchNormalization into the Conv, ConvTranspose, Gemm or MatMul before it.

import KilnIR

/// Folds an inference-mode BatchNormalization into the linear op that feeds it:
///
///     y = BN(P(x, W, b))   →   y = P(x, W', b')        s = γ/√(σ²+ε),  t = β − μ·s
///     Conv:          W'[c] = s[c]·W[c]                         b' = s·b + t
///     ConvTranspose: W'[i, j] = s[g·C/group + j]·W[i, j]       (W is [C_in, C/group, …])
///     Gemm:          column n of op(B) scaled by s[n]          C' = s·β·C + t,  β' = 1
///     MatMul(A, B):  Gemm(A, B', t) with B' columns scaled by s (A 2-D; opset ≥ 7)
///
/// Fires only when: the producer's output has the BN as its one reader and is not a graph
/// output; the BN's scale, bias, mean and variance and the producer's weight and bias are
/// constants that are not graph inputs, of float32, float16 or float64 (the math runs in
/// Double, each result rounded once to its type); the BN is in inference mode — opset < 7:
/// `is_test` = 1; opsets 7–13: no statistics outputs declared (their presence means training
/// mode in those opsets); opset ≥ 14: `training_mode` = 0 — and, before opset 9, `spatial` = 1.
/// Extra BN outputs must be unread. A MatMul folds only when A is known to be 2-D, since BN
/// normalizes axis 1, which is MatMul's column axis only then. New weights are new
/// initializers; shared ones are never changed. A skipped match gets a note with the reason.
public struct FoldBatchNorm: Pass {
  public static let name = "fold-batchnorm"
  public static let summary =
    "Fold inference BatchNormalization into a preceding Conv, ConvTranspose, Gemm or MatMul with constant weights."

  public init(options: PassOptions) {}

  static let rules: [RewriteRule] = ["Conv", "ConvTranspose", "Gemm", "MatMul"].map(rule)

  /// BatchNormalization(producer(…), scale, bias, mean, var) with the producer read only by it.
  static func rule(_ producer: String) -> RewriteRule {
    let pattern = Pattern.op(
      "BatchNormalization", "bn",
      inputs: [
        .op(producer, "producer", where: [.singleUser]),
        .constant("scale"), .constant("bias"), .constant("mean"), .constant("var"),
      ],
      where: [
        NodeCondition(failure: "has its statistics outputs read") { node, context in
          node.extraOutputsUnread(in: context.graph, pinned: context.pinned)
        }
      ])
    return RewriteRule(pattern) { match, graph, context in try fold(match, graph, context) }
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    var rewrites = 0
    for rule in Self.rules { rewrites += try rule.apply(to: graph, context: context) }
    return rewrites > 0
  }

  static func fold(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let bn = try match.node("bn")
    let producer = try match.node("producer")
    let opset = context.opsetVersion(bn.domain) ?? 0
    let replacement: Node
    do {
      try checkInferenceMode(bn, opset: opset)
      let affine = try normalization(bn, graph: graph)
      replacement = try affine.fold(into: producer, graph: graph, context: context)
    } catch {
      // Everything in the `do` throws only `Declined`.
      context.note("skipped: \(error.reason)", at: bn)
      return false
    }
    replacement.outputs = [bn.outputs[0]]
    let replaced = bn.inputs + producer.inputs
    graph.replace(bn, with: replacement)
    graph.dropUnread(replaced, nodes: [producer])
    return true
  }

  /// Throws unless `bn` computes with its given statistics (see the type's comment).
  static func checkInferenceMode(_ bn: Node, opset: Int64) throws(Declined) {
    if opset < 7, bn.int("is_test", default: 0) != 1 {
      throw Declined("is_test is not 1 (training mode)")
    }
    if (7..<14).contains(opset), bn.outputs.dropFirst().contains(where: { $0 != nil }) {
      throw Declined("it declares statistics outputs, which means training mode before opset 14")
    }
    if opset >= 14, bn.int("training_mode", default: 0) != 0 {
      throw Declined("training_mode is set")
    }
    if opset < 9, bn.int("spatial", default: 1) != 1 {
      throw Declined("spatial is 0 (per-element statistics)")
    }
  }

  /// The BN as a per-channel affine map from its constant parameters.
  static func normalization(_ bn: Node, graph: Graph) throws(Declined) -> ChannelAffine {
    let names = ["scale", "bias", "mean", "variance"]
    var parameters: [[Double]] = []
    for (index, name) in names.enumerated() {
      let parameter = try Parameter.read(bn, input: index + 1, in: graph, what: "the \(name)")
      guard parameter.tensor.dims.count == 1 else { throw Declined("the \(name) is not 1-D") }
      parameters.append(try parameter.values())
    }
    let (gamma, beta, mean, variance) = (parameters[0], parameters[1], parameters[2], parameters[3])
    let channels = gamma.count
    guard [beta, mean, variance].allSatisfy({ $0.count == channels }) else {
      throw Declined("the parameters differ in length")
    }
    let epsilon = Double(bn.float("epsilon", default: 1e-5))
    let scale = (0..<channels).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
    let shift = (0..<channels).map { beta[$0] - mean[$0] * scale[$0] }
    return ChannelAffine(scale: scale, shift: shift)
  }
}
