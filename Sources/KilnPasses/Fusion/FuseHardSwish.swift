// fuse-hard-swish: x times a hard sigmoid of x becomes one HardSwish op (opset 14).

import KilnIR

/// Replaces the hard swish of MobileNetV3 exports by `HardSwish(x) = x · max(0, min(1, x/6 + ½))`:
///
///     x · HardSigmoid(x, alpha=1/6, beta=½)   → HardSwish(x)
///     x · Clip(x + 3, 0, 6) / 6               → HardSwish(x)   ((x · c) / 6 or x · (c / 6))
///     x · Clip(x + 3, 0, 6) · (1/6)           → HardSwish(x)   (either grouping)
///
/// Mul and Add may take their operands in either order. The constants (3, 6, 1/6, the Clip
/// bounds 0 and 6, HardSigmoid's alpha and beta) must be float or double scalars within 1e-5
/// (relatively) of those values and must not broadcast x to a larger rank; the lower bound
/// must be exactly 0.
///
/// Fires only from opset 14 (HardSwish's first version) and when no intermediate value is read
/// elsewhere or is a graph output. The rewrite changes numbers only by float rounding.
public struct FuseHardSwish: Pass {
  public static let name = "fuse-hard-swish"
  public static let summary = "Fuse x · HardSigmoid(x) and x · Clip(x + 3, 0, 6) / 6 into HardSwish (opset 14)."

  public init(options: PassOptions) {}

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try RewriteRule.applyAlternatives(Self.rules, to: graph, context: context) > 0
  }

  static let rules: [RewriteRule] = {
    let x = Pattern.any("x")
    let hardSigmoid = Pattern.op("Mul", "product", inputs: [x, .op("HardSigmoid", "gate", inputs: [x])], commutative: true)
    let relu6 = Pattern.op("Clip", "clip", inputs: [.op("Add", "shift", inputs: [x, .constant("three")], commutative: true)])
    func scaled(_ name: String, _ operand: Pattern) -> [Pattern] {
      [
        .op("Div", name, inputs: [operand, .constant("six")]),
        .op("Mul", name, inputs: [operand, .constant("sixth")], commutative: true),
      ]
    }
    let outerScale = scaled("product", .op("Mul", "gated", inputs: [x, relu6], commutative: true))
    let innerScale = scaled("gate", relu6).map { Pattern.op("Mul", "product", inputs: [x, $0], commutative: true) }
    return [RewriteRule(hardSigmoid, rewrite: rewriteHardSigmoid)]
      + (outerScale + innerScale).map { RewriteRule($0, rewrite: rewriteRelu6) }
  }()

  private static func rewriteHardSigmoid(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let gate = try match.node("gate")
    let alpha = Double(gate.float("alpha", default: 0.2)), beta = Double(gate.float("beta", default: 0.5))
    guard TransformerFusion.isClose(alpha, 1.0 / 6), TransformerFusion.isClose(beta, 0.5) else {
      context.note("skipped: the HardSigmoid has alpha \(alpha) and beta \(beta), not 1/6 and 0.5", at: try match.node("product"))
      return false
    }
    return try fuse(match, graph, context)
  }

  private static func rewriteRelu6(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let x = try match.value("x")
    let scaleIsRight =
      match.values["six"] != nil
      ? TransformerFusion.scalar("six", in: match, against: x, near: 6)
      : TransformerFusion.scalar("sixth", in: match, against: x, near: 1.0 / 6)
    let bounds = TransformerFusion.clipBounds(try match.node("clip"), against: x, opset: context.opsetVersion("") ?? 0)
    guard scaleIsRight, TransformerFusion.scalar("three", in: match, against: x, near: 3), let bounds,
      bounds.low == 0, TransformerFusion.isClose(bounds.high, 6)
    else {
      context.note("skipped: the constants are not x · Clip(x + 3, 0, 6) / 6", at: try match.node("product"))
      return false
    }
    return try fuse(match, graph, context)
  }

  private static func fuse(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let root = try match.node("product")
    guard TransformerFusion.requireOpset(14, for: "HardSwish", context, at: root),
      TransformerFusion.isSelfContained(match, root: root, in: graph, context)
    else { return false }
    let hardSwish = Node(opType: "HardSwish", inputs: [try match.value("x")])
    TransformerFusion.replace(root, with: hardSwish, removing: Array(match.nodes.values), in: graph)
    return true
  }
}
