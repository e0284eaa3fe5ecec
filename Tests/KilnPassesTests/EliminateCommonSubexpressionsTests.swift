// eliminate-common-subexpressions: merging, cascading, and what must never merge.

import KilnIR
import KilnPasses
import Testing

@Suite("eliminate-common-subexpressions")
struct EliminateCommonSubexpressionsTests {
  static let repeated = opset17 + """
    g (float[2, 3] X) => (float[2, 3] Y) {
      A = Relu(X)
      B = Relu(X)
      C = Add(A, B)
      D = Add(A, B)
      K1 = Constant<value = float[1] {2.0}>()
      K2 = Constant<value = float[1] {2.0}>()
      E = Mul(C, K1)
      F = Mul(D, K2)
      Y = Sub(E, F)
    }
    """

  @Test("equal nodes merge, and merges cascade")
  func golden() throws {
    let expected = opset17 + """
      g (float[2, 3] X) => (float[2, 3] Y) {
        A = Relu(X)
        C = Add(A, A)
        K1 = Constant<value = float[1] {2.0}>()
        E = Mul(C, K1)
        Y = Sub(E, E)
      }
      """
    try expectGolden(pass("eliminate-common-subexpressions"), input: Self.repeated, expected: expected)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("eliminate-common-subexpressions")], input: Self.repeated)
  }

  @Test("random ops, other attributes, custom ops and graph outputs do not merge")
  func negative() throws {
    try expectUnchanged(
      pass("eliminate-common-subexpressions"),
      input: #"<ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>"# + """
        g (float[2, 3] X) => (float[2, 3] Y, float[2, 3] Z, float[2, 3] W) {
          R1 = RandomUniformLike(X)
          R2 = RandomUniformLike(X)
          L1 = LeakyRelu<alpha = 0.1>(X)
          L2 = LeakyRelu<alpha = 0.2>(X)
          C1 = com.example.Op(X)
          C2 = com.example.Op(X)
          S1 = Add(R1, R2)
          S2 = Add(L1, L2)
          S3 = Add(C1, C2)
          T = Add(S1, S2)
          Y = Add(T, S3)
          Z = Relu(X)
          W = Relu(X)
        }
        """)
  }
}
