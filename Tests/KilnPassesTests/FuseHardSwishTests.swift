// fuse-hard-swish: x · HardSigmoid(x) and both groupings of x · Clip(x + 3, 0, 6) / 6, numbers,
// and what must not fuse.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-hard-swish")
struct FuseHardSwishTests {
  /// A graph X → body → Y of float[2, 8] at default opset `opset`.
  static func graph(_ body: String, opset: Int = 14, outputs: String = "float[2, 8] Y") -> String {
    #"<ir_version: 8, opset_import: ["" : \#(opset)]>"# + "\ng (float[2, 8] X) => (\(outputs)) {\n" + body + "\n}"
  }

  static let relu6Prefix = """
      three = Constant<value = float {3.0}>()
      S = Add(X, three)
      lo = Constant<value = float {0.0}>()
      hi = Constant<value = float {6.0}>()
      C = Clip(S, lo, hi)
    """

  /// PyTorch's hand-written x * relu6(x + 3) / 6: (x · c) / 6.
  static let outerDivision = graph(relu6Prefix + "\n  six = Constant<value = float {6.0}>()\n  P = Mul(X, C)\n  Y = Div(P, six)")

  static let hardSigmoid = graph("G = HardSigmoid<alpha = 0.16666667, beta = 0.5>(X)\n  Y = Mul(G, X)")

  @Test("x · HardSigmoid(x, 1/6, 0.5) becomes HardSwish")
  func goldenHardSigmoid() throws {
    try expectGolden(pass("fuse-hard-swish"), input: Self.hardSigmoid, expected: Self.graph("Y = HardSwish(X)"))
  }

  @Test("(x · Clip(x + 3, 0, 6)) / 6 and x · (Clip(x + 3, 0, 6) · 1/6) become HardSwish")
  func goldenRelu6() throws {
    try expectGolden(pass("fuse-hard-swish"), input: Self.outerDivision, expected: Self.graph("Y = HardSwish(X)"))
    let innerProduct = Self.graph(
      Self.relu6Prefix
        + "\n  sixth = Constant<value = float {0.16666667}>()\n  R = Mul(sixth, C)\n  Y = Mul(R, X)")
    try expectGolden(pass("fuse-hard-swish"), input: innerProduct, expected: Self.graph("Y = HardSwish(X)"))
  }

  @Test("outputs do not change beyond float rounding")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-hard-swish")], input: Self.outerDivision, tolerance: 1e-6)
    try expectSameNumbers([pass("fuse-hard-swish")], input: Self.hardSigmoid, tolerance: 1e-6)
  }

  @Test("the aggressive pipeline's order turns x · (Clip(x + 3, 0, 6) / 6) into one HardSwish")
  func pipelineOrder() throws {
    let input = Self.graph(Self.relu6Prefix + "\n  six = Constant<value = float {6.0}>()\n  R = Div(C, six)\n  Y = Mul(X, R)")
    let subject = try model(input)
    try runPasses([pass("fuse-hard-sigmoid"), pass("fuse-hard-swish")], on: subject)
    #expect(subject.graph.nodes.map(\.opType) == ["HardSwish"])
    try expectSameNumbers([pass("fuse-hard-sigmoid"), pass("fuse-hard-swish")], input: input, tolerance: 1e-6)
  }

  @Test("opset 13, HardSigmoid's default alpha, a wrong shift or a shared Clip do not fuse")
  func negative() throws {
    try expectUnchanged(pass("fuse-hard-swish"), input: Self.outerDivision.replacingOccurrences(of: #""" : 14"#, with: #""" : 13"#))
    try expectUnchanged(pass("fuse-hard-swish"), input: Self.graph("G = HardSigmoid(X)\n  Y = Mul(G, X)"))
    try expectUnchanged(pass("fuse-hard-swish"), input: Self.outerDivision.replacingOccurrences(of: "{3.0}", with: "{2.0}"))
    let shared = Self.graph(
      Self.relu6Prefix + "\n  six = Constant<value = float {6.0}>()\n  P = Mul(X, C)\n  Y = Div(P, six)\n  Z = Neg(C)", outputs: "float[2, 8] Y, float[2, 8] Z")
    try expectUnchanged(pass("fuse-hard-swish"), input: shared)
  }
}
