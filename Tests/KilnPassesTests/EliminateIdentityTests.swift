// eliminate-identity: every no-op it knows, graph outputs, and what it must keep.

import KilnIR
import KilnPasses
import Testing

@Suite("eliminate-identity")
struct EliminateIdentityTests {
  static let chain = opset17 + """
    g (float[2, 3] X) => (float[2, 3] Y) {
      A = Identity(X)
      B = Cast<to = 1>(A)
      S = Constant<value = int64[2] {0, -1}>()
      C = Reshape(B, S)
      D = Transpose<perm = [0, 1]>(C)
      E = Concat<axis = 0>(D)
      F = Dropout(E)
      P = Constant<value = int64[4] {0, 0, 0, 0}>()
      G = Pad(F, P)
      St = Constant<value = int64[1] {0}>()
      En = Constant<value = int64[1] {1000}>()
      H = Slice(G, St, En)
      Sh = Constant<value = int64[2] {1, 3}>()
      I = Expand(H, Sh)
      Y = Relu(I)
    }
    """

  @Test("Identity, Cast, Reshape, Transpose, Concat, Dropout, Pad, Slice and Expand no-ops go")
  func golden() throws {
    let expected = opset17 + """
      g (float[2, 3] X) => (float[2, 3] Y) {
        S = Constant<value = int64[2] {0, -1}>()
        P = Constant<value = int64[4] {0, 0, 0, 0}>()
        St = Constant<value = int64[1] {0}>()
        En = Constant<value = int64[1] {1000}>()
        Sh = Constant<value = int64[2] {1, 3}>()
        Y = Relu(X)
      }
      """
    try expectGolden(pass("eliminate-identity"), input: Self.chain, expected: expected)
  }

  @Test("a graph output keeps its name: the input takes it over")
  func graphOutput() throws {
    try expectGolden(
      pass("eliminate-identity"),
      input: opset17 + "g (float[2] X) => (float[2] Y) { T = Relu(X) Y = Identity(T) }",
      expected: opset17 + "g (float[2] X) => (float[2] Y) { Y = Relu(X) }")
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("eliminate-identity")], input: Self.chain)
  }

  @Test("real reshapes, slices, casts, expands, training Dropout and graph inputs as outputs stay")
  func negative() throws {
    try expectUnchanged(
      pass("eliminate-identity"),
      input: opset17 + """
        g (float[2, 3] X, float[N, 3] Z, bool t) => (float[2, 3] Y, float[3, 2] R, float[2, 3] W, float[1, 3] V, float[2, 3] M, bool K) {
          W = Identity(X)
          S = Constant<value = int64[2] {3, 2}>()
          R = Reshape(X, S)
          St = Constant<value = int64[1] {0}>()
          En = Constant<value = int64[1] {1}>()
          V = Slice(X, St, En)
          C = Cast<to = 6>(Z)
          Sh = Constant<value = int64[2] {2, 3}>()
          E = Expand(Z, Sh)
          Ratio = Constant<value = float {0.5}>()
          M, K = Dropout(X, Ratio, t)
          Y = Relu(X)
        }
        """)
  }
}
