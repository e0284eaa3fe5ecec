// fuse-gelu: erf and tanh forms in their export orderings, numbers, and what must not fuse.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-gelu")
struct FuseGeluTests {
  static let opset20 = #"<ir_version: 9, opset_import: ["" : 20]>"#

  /// A graph X → body → Y at `header`, X and Y float[2, 8].
  static func graph(
    _ body: String, header: String = opset20, outputs: String = "float[2, 8] Y", initializers: String = ""
  ) -> String {
    header + "\ng (float[2, 8] X) => (\(outputs)) \(initializers) {\n" + body + "\n}"
  }

  /// PyTorch's nn.GELU export: ((x · (Erf(x / √2) + 1)) · 0.5.
  static let pytorch = graph("""
      r = Constant<value = float {1.4142135}>()
      S = Div(X, r)
      E = Erf(S)
      one = Constant<value = float {1.0}>()
      P = Add(E, one)
      M = Mul(X, P)
      half = Constant<value = float {0.5}>()
      Y = Mul(M, half)
    """)

  /// Hugging Face's tanh GELU ("gelu_new"): (0.5 · x) · (1 + Tanh(√(2/π) · (x + 0.044715 · x³))).
  static let tanhForm = graph("""
      three = Constant<value = float {3.0}>()
      C = Pow(X, three)
      k = Constant<value = float {0.044715}>()
      K = Mul(k, C)
      I = Add(X, K)
      s = Constant<value = float {0.7978845608}>()
      T0 = Mul(s, I)
      T = Tanh(T0)
      one = Constant<value = float {1.0}>()
      P = Add(one, T)
      half = Constant<value = float {0.5}>()
      H = Mul(half, X)
      Y = Mul(H, P)
    """)

  @Test("PyTorch's erf form becomes Gelu")
  func goldenPyTorch() throws {
    try expectGolden(pass("fuse-gelu"), input: Self.pytorch, expected: Self.graph("Y = Gelu(X)"))
  }

  @Test("x · (1/√2), 0.5 · x first, 1 + erf, and x · (factor · 0.5) orderings become Gelu")
  func goldenOrderings() throws {
    let halfFirst = Self.graph("""
        r = Constant<value = float {0.70710677}>()
        S = Mul(r, X)
        E = Erf(S)
        one = Constant<value = float {1.0}>()
        P = Add(one, E)
        half = Constant<value = float {0.5}>()
        H = Mul(X, half)
        Y = Mul(P, H)
      """)
    try expectGolden(pass("fuse-gelu"), input: halfFirst, expected: Self.graph("Y = Gelu(X)"))
    let constants = "<float r = {1.4142135}, float one = {1.0}, float half = {0.5}>"
    let halfLast = Self.graph(
      """
        S = Div(X, r)
        E = Erf(S)
        P = Add(E, one)
        H = Mul(half, P)
        Y = Mul(H, X)
      """, initializers: constants)
    try expectGolden(pass("fuse-gelu"), input: halfLast, expected: Self.graph("Y = Gelu(X)", initializers: constants))
  }

  @Test("the tanh approximation, with Pow(x, 3) or x · (x · x), becomes Gelu approximate=tanh")
  func goldenTanh() throws {
    let expected = Self.graph(#"Y = Gelu<approximate = "tanh">(X)"#)
    try expectGolden(pass("fuse-gelu"), input: Self.tanhForm, expected: expected)
    let products = Self.tanhForm.replacingOccurrences(
      of: "three = Constant<value = float {3.0}>()\n  C = Pow(X, three)", with: "X2 = Mul(X, X)\n  C = Mul(X2, X)")
    #expect(products != Self.tanhForm)
    try expectGolden(pass("fuse-gelu"), input: products, expected: expected)
  }

  @Test("outputs do not change beyond float rounding")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-gelu")], input: Self.pytorch, tolerance: 1e-6)
    try expectSameNumbers([pass("fuse-gelu")], input: Self.tanhForm, tolerance: 1e-6)
  }

  @Test("opset 19, a wrong constant or a shared intermediate do not fuse")
  func negative() throws {
    let opset19 = Self.pytorch.replacingOccurrences(of: #""" : 20"#, with: #""" : 19"#)
    #expect(opset19 != Self.pytorch)
    try expectUnchanged(pass("fuse-gelu"), input: opset19)
    let report = try runPasses([pass("fuse-gelu")], on: model(opset19))
    #expect(report.notes.contains { $0.message.contains("needs opset 20") })

    let wrongScale = Self.pytorch.replacingOccurrences(of: "1.4142135", with: "1.5")
    try expectUnchanged(pass("fuse-gelu"), input: wrongScale)
    let wrongCubic = Self.tanhForm.replacingOccurrences(of: "0.044715", with: "0.05")
    try expectUnchanged(pass("fuse-gelu"), input: wrongCubic)

    let sharedErf = Self.graph(
      """
        r = Constant<value = float {1.4142135}>()
        S = Div(X, r)
        E = Erf(S)
        one = Constant<value = float {1.0}>()
        P = Add(E, one)
        M = Mul(X, P)
        half = Constant<value = float {0.5}>()
        Y = Mul(M, half)
        Z = Neg(E)
      """, outputs: "float[2, 8] Y, float[2, 8] Z")
    try expectUnchanged(pass("fuse-gelu"), input: sharedErf)
    let sharedReport = try runPasses([pass("fuse-gelu")], on: model(sharedErf))
    #expect(sharedReport.notes.contains { $0.message.contains("intermediate 'E' has a reader outside the pattern") })
  }

  @Test("a constant that would widen x's rank does not fuse")
  func widening() throws {
    let widened = Self.pytorch.replacingOccurrences(
      of: "half = Constant<value = float {0.5}>()", with: "half = Constant<value = float[1, 1, 1] {0.5}>()"
    ).replacingOccurrences(of: "float[2, 8] Y", with: "float[1, 2, 8] Y")
    try expectUnchanged(pass("fuse-gelu"), input: widened)
  }
}
