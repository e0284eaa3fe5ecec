// fuse-hard-sigmoid: the clipped line, the Relu6 form, Clip's attribute bounds before opset 11,
// numbers, and what must not fuse.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-hard-sigmoid")
struct FuseHardSigmoidTests {
  /// A graph X → body → Y of float[2, 8] at default opset `opset`.
  static func graph(_ body: String, opset: Int = 17, outputs: String = "float[2, 8] Y") -> String {
    #"<ir_version: 8, opset_import: ["" : \#(opset)]>"# + "\ng (float[2, 8] X) => (\(outputs)) {\n" + body + "\n}"
  }

  static let clippedLine = graph("""
      a = Constant<value = float {0.2}>()
      L = Mul(a, X)
      b = Constant<value = float {0.5}>()
      S = Add(L, b)
      lo = Constant<value = float {0.0}>()
      hi = Constant<value = float {1.0}>()
      Y = Clip(S, lo, hi)
    """)

  /// TensorFlow's relu6(x + 3) / 6.
  static let relu6Body = """
      three = Constant<value = float {3.0}>()
      S = Add(three, X)
      lo = Constant<value = float {0.0}>()
      hi = Constant<value = float {6.0}>()
      C = Clip(S, lo, hi)
      six = Constant<value = float {6.0}>()
      Y = Div(C, six)
    """
  static let relu6 = graph(relu6Body)

  @Test("Clip(x · 0.2 + 0.5, 0, 1) becomes HardSigmoid(alpha 0.2, beta 0.5)")
  func goldenLine() throws {
    try expectGolden(
      pass("fuse-hard-sigmoid"), input: Self.clippedLine,
      expected: Self.graph("Y = HardSigmoid<alpha = 0.2, beta = 0.5>(X)"))
  }

  @Test("Clip(x + 3, 0, 6) / 6 becomes HardSigmoid(alpha 1/6, beta 0.5)")
  func goldenRelu6() throws {
    try expectGolden(
      pass("fuse-hard-sigmoid"), input: Self.relu6,
      expected: Self.graph("Y = HardSigmoid<alpha = 0.16666667, beta = 0.5>(X)"))
  }

  @Test("before opset 11 the Clip bounds are attributes: Clip(x / 6 + 0.5) with min 0, max 1")
  func goldenOpset10() throws {
    let input = Self.graph(
      """
        six = Constant<value = float {6.0}>()
        L = Div(X, six)
        b = Constant<value = float {0.5}>()
        S = Add(b, L)
        Y = Clip<min = 0.0, max = 1.0>(S)
      """, opset: 10)
    try expectGolden(
      pass("fuse-hard-sigmoid"), input: input,
      expected: Self.graph("Y = HardSigmoid<alpha = 0.16666667, beta = 0.5>(X)", opset: 10))
  }

  @Test("outputs do not change beyond float rounding")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-hard-sigmoid")], input: Self.clippedLine, tolerance: 1e-6)
    try expectSameNumbers([pass("fuse-hard-sigmoid")], input: Self.relu6, tolerance: 1e-6)
  }

  @Test("other bounds, a divisor that is not the upper bound, opset 5, a shared Add do not fuse")
  func negative() throws {
    try expectUnchanged(
      pass("fuse-hard-sigmoid"), input: Self.clippedLine.replacingOccurrences(of: "{1.0}", with: "{2.0}"))
    try expectUnchanged(
      pass("fuse-hard-sigmoid"),
      input: Self.relu6.replacingOccurrences(of: "six = Constant<value = float {6.0}>()", with: "six = Constant<value = float {5.0}>()"))
    let opset5 = Self.graph(
      """
        a = Constant<value = float {0.2}>()
        L = Mul(a, X)
        b = Constant<value = float {0.5}>()
        S = Add(L, b)
        Y = Clip<min = 0.0, max = 1.0>(S)
      """, opset: 5)
    try expectUnchanged(pass("fuse-hard-sigmoid"), input: opset5)
    let shared = Self.graph(
      Self.relu6Body + "\n  Z = Neg(S)",
      outputs: "float[2, 8] Y, float[2, 8] Z")
    try expectUnchanged(pass("fuse-hard-sigmoid"), input: shared)
  }
}
