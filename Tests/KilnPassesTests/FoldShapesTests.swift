// fold-shapes: static dims of Shape computations fold, symbolic ones stay.

import KilnIR
import KilnPasses
import Testing

@Suite("fold-shapes")
struct FoldShapesTests {
  static let flatten = opset17 + """
    g (float[N, 3, 8, 8] X) => (float[N, 3, 64] Y) {
      S = Shape(X)
      I0 = Constant<value = int64 {0}>()
      I1 = Constant<value = int64 {1}>()
      N0 = Gather(S, I0)
      C1 = Gather(S, I1)
      A = Constant<value = int64[1] {0}>()
      U0 = Unsqueeze(N0, A)
      U1 = Unsqueeze(C1, A)
      M = Constant<value = int64[1] {-1}>()
      Sh = Concat<axis = 0>(U0, U1, M)
      Y = Reshape(X, Sh)
    }
    """

  @Test("Shape(x)[1] folds to 3 while Shape(x)[0] (symbolic N) stays")
  func golden() throws {
    try expectGolden(
      pass("fold-shapes"), input: Self.flatten,
      expected: opset17 + """
        g (float[N, 3, 8, 8] X) => (float[N, 3, 64] Y) <int64[1] U1 = {3}> {
          S = Shape(X)
          I0 = Constant<value = int64 {0}>()
          N0 = Gather(S, I0)
          A = Constant<value = int64[1] {0}>()
          U0 = Unsqueeze(N0, A)
          M = Constant<value = int64[1] {-1}>()
          Sh = Concat<axis = 0>(U0, U1, M)
          Y = Reshape(X, Sh)
        }
        """)
  }

  @Test("fully static Shape, Slice, Cast and Size become constants")
  func staticShapes() throws {
    try expectGolden(
      pass("fold-shapes"),
      input: opset17 + """
        g (float[2, 3, 4] X) => (float[6, 4] Y, int64 Z) {
          S = Shape(X)
          St = Constant<value = int64[1] {1}>()
          En = Constant<value = int64[1] {3}>()
          T = Slice(S, St, En)
          C = Cast<to = 7>(T)
          Sh = Constant<value = int64[2] {-1, 4}>()
          Y = Reshape(X, Sh)
          Z = Size(X)
          K = Reshape(X, C)
        }
        """,
      expected: opset17 + """
        g (float[2, 3, 4] X) => (float[6, 4] Y, int64 Z) <int64[2] C = {3, 4}, int64 Z = {24}> {
          Sh = Constant<value = int64[2] {-1, 4}>()
          Y = Reshape(X, Sh)
          K = Reshape(X, C)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fold-shapes")], input: Self.flatten, shapes: ["X": [2, 3, 8, 8]])
  }

  @Test("symbolic and unknown dims are never guessed")
  func negative() throws {
    try expectUnchanged(
      pass("fold-shapes"),
      input: opset17 + """
        g (float[N, M] X) => (float[N, M] Y) {
          S = Shape(X)
          I = Constant<value = int64[1] {1}>()
          D = Gather(S, I)
          Y = Reshape(X, S)
          Z = Size(X)
        }
        """)
  }
}
