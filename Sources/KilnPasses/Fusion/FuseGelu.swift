// fuse-gelu: the erf and tanh formulas of GELU become one Gelu op (opset 20).

import Foundation
import KilnIR

/// Replaces the decomposed GELU of PyTorch, TensorFlow and Hugging Face exports by `Gelu`:
///
///     x · 0.5 · (1 + Erf(x / √2))                         → Gelu(x)
///     x · 0.5 · (1 + Tanh(√(2/π) · (x + 0.044715 · x³)))  → Gelu(x, approximate="tanh")
///
/// The three factors may be multiplied in any grouping and order; x/√2 may be written
/// x · (1/√2); x³ as Pow(x, 3), x·(x·x) or (x·x)·x. Constants are compared with a relative
/// tolerance of 1e-5 and must be float or double scalars that do not broadcast x to a larger
/// rank.
///
/// Fires only when the default opset is 20 or later (Gelu's first version), and when no
/// intermediate value of the formula (the Erf, the 1 + …) is read elsewhere or is a graph
/// output. The rewrite changes numbers only by float rounding.
public struct FuseGelu: Pass {
  public static let name = "fuse-gelu"
  public static let summary = "Fuse the erf and tanh GELU formulas into Gelu (opset 20)."

  public init(options: PassOptions) {}

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try RewriteRule.applyAlternatives(Self.rules, to: graph, context: context) > 0
  }

  /// The erf form with x/√2 or x·(1/√2), and the tanh form with each way of writing x³, each
  /// in the three groupings of the product.
  static let rules: [RewriteRule] = {
    let x = Pattern.any("x")
    let erfArguments: [Pattern] = [
      .op("Div", "scaled", inputs: [x, .constant("sqrt2")]),
      .op("Mul", "scaled", inputs: [x, .constant("invSqrt2")], commutative: true),
    ]
    let cubes: [Pattern] = [
      .op("Pow", "cube", inputs: [x, .constant("three")]),
      .op("Mul", "cube", inputs: [x, .op("Mul", "square", inputs: [x, x])], commutative: true),
    ]
    let erfFactors = erfArguments.map { onePlus(.op("Erf", "curve", inputs: [$0])) }
    let tanhFactors = cubes.map { cube in
      let cubic = Pattern.op("Mul", "cubic", inputs: [cube, .constant("cubicCoefficient")], commutative: true)
      let inner = Pattern.op("Add", "inner", inputs: [x, cubic], commutative: true)
      let scaled = Pattern.op("Mul", "scaled", inputs: [inner, .constant("sqrt2OverPi")], commutative: true)
      return onePlus(.op("Tanh", "curve", inputs: [scaled]))
    }
    return erfFactors.flatMap { products($0).map { RewriteRule($0, rewrite: rewriteErf) } }
      + tanhFactors.flatMap { products($0).map { RewriteRule($0, rewrite: rewriteTanh) } }
  }()

  /// 1 + `curve`.
  private static func onePlus(_ curve: Pattern) -> Pattern {
    .op("Add", "onePlus", inputs: [curve, .constant("one")], commutative: true)
  }

  /// x · 0.5 · `factor` in its three groupings: (x·f)·½, (x·½)·f, x·(f·½).
  private static func products(_ factor: Pattern) -> [Pattern] {
    let x = Pattern.any("x"), half = Pattern.constant("half")
    func mul(_ name: String, _ a: Pattern, _ b: Pattern) -> Pattern {
      .op("Mul", name, inputs: [a, b], commutative: true)
    }
    return [
      mul("product", mul("partial", x, factor), half),
      mul("product", mul("partial", x, half), factor),
      mul("product", x, mul("partial", factor, half)),
    ]
  }

  private static func rewriteErf(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let x = try match.value("x")
    let scaleIsRight =
      match.values["sqrt2"] != nil
      ? TransformerFusion.scalar("sqrt2", in: match, against: x, near: 2.0.squareRoot())
      : TransformerFusion.scalar("invSqrt2", in: match, against: x, near: 0.5.squareRoot())
    return try fuse(match, graph, context, constantsHold: scaleIsRight, approximate: nil)
  }

  private static func rewriteTanh(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let x = try match.value("x")
    let cubeIsRight = match.values["three"] == nil || TransformerFusion.scalar("three", in: match, against: x, near: 3)
    let constantsHold =
      cubeIsRight
      && TransformerFusion.scalar("cubicCoefficient", in: match, against: x, near: 0.044715)
      && TransformerFusion.scalar("sqrt2OverPi", in: match, against: x, near: (2 / Double.pi).squareRoot())
    return try fuse(match, graph, context, constantsHold: constantsHold, approximate: "tanh")
  }

  /// Checks what both forms share (½ and 1, opset, private intermediates) and fuses.
  private static func fuse(
    _ match: Match, _ graph: Graph, _ context: PassContext, constantsHold: Bool, approximate: String?
  ) throws -> Bool {
    let root = try match.node("product")
    let x = try match.value("x")
    guard constantsHold,
      TransformerFusion.scalar("half", in: match, against: x, near: 0.5),
      TransformerFusion.scalar("one", in: match, against: x, near: 1)
    else {
      context.note("skipped: a constant of the GELU formula is not the expected scalar", at: root)
      return false
    }
    guard TransformerFusion.requireOpset(20, for: "Gelu", context, at: root),
      TransformerFusion.isSelfContained(match, root: root, in: graph, context)
    else { return false }
    let attributes = approximate.map { [Attribute("approximate", .string(Data($0.utf8)))] } ?? []
    let gelu = Node(opType: "Gelu", inputs: [x], attributes: attributes)
    TransformerFusion.replace(root, with: gelu, removing: Array(match.nodes.values), in: graph)
    return true
  }
}
