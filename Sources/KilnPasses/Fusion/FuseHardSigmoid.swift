// fuse-hard-sigmoid: a clipped affine function of x becomes one HardSigmoid op.

import KilnIR

/// Replaces a clipped line by `HardSigmoid(x, alpha, beta) = max(0, min(1, alpha·x + beta))`:
///
///     Clip(x · α + β, 0, 1)          → HardSigmoid(x, alpha=α, beta=β)
///     Clip(x / d + β, 0, 1)          → HardSigmoid(x, alpha=1/d, beta=β)
///     Clip(x + s, 0, u) / u          → HardSigmoid(x, alpha=1/u, beta=s/u)   (Relu6(x+3)/6)
///     Clip(x + s, 0, u) · (1/u)      → HardSigmoid(x, alpha=1/u, beta=s/u)
///
/// Mul and Add may take their operands in either order. Every constant must be a float or
/// double scalar that does not broadcast x to a larger rank; the Clip bounds must be exactly
/// 0 and 1 (or 0 and u, with u > 0 and the divisor within 1e-5 of u, relatively).
///
/// Fires only from opset 6 (HardSigmoid's current form) and when no intermediate value is read
/// elsewhere or is a graph output. The rewrite changes numbers only by float rounding.
public struct FuseHardSigmoid: Pass {
  public static let name = "fuse-hard-sigmoid"
  public static let summary = "Fuse Clip(x·a + b, 0, 1) and Clip(x + 3, 0, 6) / 6 into HardSigmoid."

  public init(options: PassOptions) {}

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try RewriteRule.applyAlternatives(Self.rules, to: graph, context: context) > 0
  }

  static let rules: [RewriteRule] = {
    let x = Pattern.any("x")
    let lines: [Pattern] = [
      .op("Mul", "slope", inputs: [x, .constant("alpha")], commutative: true),
      .op("Div", "slope", inputs: [x, .constant("divisor")]),
    ]
    let clippedLines = lines.map { line in
      Pattern.op("Clip", "clip", inputs: [.op("Add", "shift", inputs: [line, .constant("beta")], commutative: true)])
    }
    let relu6 = Pattern.op("Clip", "clip", inputs: [.op("Add", "shift", inputs: [x, .constant("offset")], commutative: true)])
    let scaledRelu6: [Pattern] = [
      .op("Div", "scale", inputs: [relu6, .constant("divisor")]),
      .op("Mul", "scale", inputs: [relu6, .constant("factor")], commutative: true),
    ]
    return clippedLines.map { RewriteRule($0, rewrite: rewriteClippedLine) }
      + scaledRelu6.map { RewriteRule($0, rewrite: rewriteScaledRelu6) }
  }()

  /// Clip(x·α + β, 0, 1) or Clip(x/d + β, 0, 1).
  private static func rewriteClippedLine(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let clip = try match.node("clip")
    let x = try match.value("x")
    let alpha = match.values["alpha"] != nil
      ? TransformerFusion.scalar(match.values["alpha"], against: x)
      : TransformerFusion.scalar(match.values["divisor"], against: x).flatMap { $0 == 0 ? nil : 1 / $0 }
    guard let alpha, let beta = TransformerFusion.scalar(match.values["beta"], against: x),
      let bounds = TransformerFusion.clipBounds(clip, against: x, opset: context.opsetVersion("") ?? 0),
      bounds.low == 0, bounds.high == 1
    else {
      context.note("skipped: the slope, offset or Clip bounds are not scalar constants with bounds 0 and 1", at: clip)
      return false
    }
    return try fuse(match, root: clip, alpha: alpha, beta: beta, graph, context)
  }

  /// Clip(x + s, 0, u) / u or Clip(x + s, 0, u) · (1/u).
  private static func rewriteScaledRelu6(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let root = try match.node("scale")
    let x = try match.value("x")
    let factor = match.values["factor"] != nil
      ? TransformerFusion.scalar(match.values["factor"], against: x)
      : TransformerFusion.scalar(match.values["divisor"], against: x).flatMap { $0 == 0 ? nil : 1 / $0 }
    guard let factor, let offset = TransformerFusion.scalar(match.values["offset"], against: x),
      let bounds = TransformerFusion.clipBounds(try match.node("clip"), against: x, opset: context.opsetVersion("") ?? 0),
      bounds.low == 0, bounds.high > 0, bounds.high.isFinite, TransformerFusion.isClose(factor * bounds.high, 1)
    else {
      context.note("skipped: the Clip is not clip(x + s, 0, u) scaled by 1/u with scalar constants", at: root)
      return false
    }
    return try fuse(match, root: root, alpha: 1 / bounds.high, beta: offset / bounds.high, graph, context)
  }

  private static func fuse(
    _ match: Match, root: Node, alpha: Double, beta: Double, _ graph: Graph, _ context: PassContext
  ) throws -> Bool {
    guard TransformerFusion.requireOpset(6, for: "HardSigmoid", context, at: root),
      TransformerFusion.isSelfContained(match, root: root, in: graph, context)
    else { return false }
    let hardSigmoid = Node(
      opType: "HardSigmoid", inputs: [try match.value("x")],
      attributes: [Attribute("alpha", .float(Float(alpha))), Attribute("beta", .float(Float(beta)))])
    TransformerFusion.replace(root, with: hardSigmoid, removing: Array(match.nodes.values), in: graph)
    return true
  }
}
