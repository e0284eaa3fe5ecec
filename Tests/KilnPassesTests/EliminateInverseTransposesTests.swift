// eliminate-inverse-transposes: inverse pairs go, graph outputs keep their names.

import KilnIR
import KilnPasses
import Testing

@Suite("eliminate-inverse-transposes")
struct EliminateInverseTransposesTests {
  static let nchwRoundTrip = opset17 + """
    g (float[1, 2, 3, 4] X) => (float[1, 2, 3, 4] Y) {
      T = Transpose<perm = [0, 2, 3, 1]>(X)
      U = Transpose<perm = [0, 3, 1, 2]>(T)
      Y = Relu(U)
    }
    """

  @Test("NCHW → NHWC → NCHW goes")
  func golden() throws {
    try expectGolden(
      pass("eliminate-inverse-transposes"), input: Self.nchwRoundTrip,
      expected: opset17 + "g (float[1, 2, 3, 4] X) => (float[1, 2, 3, 4] Y) { Y = Relu(X) }")
  }

  @Test("a graph output keeps its name; a first Transpose with another reader stays")
  func graphOutput() throws {
    try expectGolden(
      pass("eliminate-inverse-transposes"),
      input: opset17 + """
        g (float[2, 3] X) => (float[2, 3] Y, float[3, 2] W) {
          A = Relu(X)
          T = Transpose(A)
          W = Neg(T)
          Y = Transpose<perm = [1, 0]>(T)
        }
        """,
      expected: opset17 + """
        g (float[2, 3] X) => (float[2, 3] Y, float[3, 2] W) {
          Y = Relu(X)
          T = Transpose(Y)
          W = Neg(T)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("eliminate-inverse-transposes")], input: Self.nchwRoundTrip)
  }

  @Test("pairs that do not cancel, and a pair from a graph input to a graph output, stay")
  func negative() throws {
    try expectUnchanged(
      pass("eliminate-inverse-transposes"),
      input: opset17 + """
        g (float[2, 3, 4] X, float[2, 3] Z) => (float[4, 2, 3] Y, float[2, 3] V) {
          T = Transpose<perm = [1, 2, 0]>(X)
          Y = Transpose<perm = [1, 2, 0]>(T)
          U = Transpose<perm = [1, 0]>(Z)
          V = Transpose<perm = [1, 0]>(U)
        }
        """)
  }
}
