// fuse-consecutive-reshapes: fusing, copied and resolved zeros, and zeros it cannot resolve.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-consecutive-reshapes")
struct FuseConsecutiveReshapesTests {
  static let plain = opset17 + """
    g (float[4, 6] X) => (float[2, 3, 4] Y) {
      S1 = Constant<value = int64[2] {6, 4}>()
      R = Reshape(X, S1)
      S2 = Constant<value = int64[3] {2, 3, -1}>()
      Y = Reshape(R, S2)
    }
    """

  /// Zeros in the second shape: one copies a dim the first Reshape copied from X (kept),
  /// one copies a dim the first set to 3 (resolved).
  static let zeros = opset17 + """
    g (float[N, 2, 6] X) => (float[N, 3, 2, 2] Y) {
      S1 = Constant<value = int64[3] {0, 3, -1}>()
      R = Reshape(X, S1)
      S2 = Constant<value = int64[4] {0, 0, 2, 2}>()
      Y = Reshape(R, S2)
    }
    """

  @Test("a Reshape of a Reshape reshapes the input once")
  func golden() throws {
    try expectGolden(
      pass("fuse-consecutive-reshapes"), input: Self.plain,
      expected: opset17 + """
        g (float[4, 6] X) => (float[2, 3, 4] Y) {
          S2 = Constant<value = int64[3] {2, 3, -1}>()
          Y = Reshape(X, S2)
        }
        """)
  }

  @Test("a 0 that the first Reshape also copied stays; a 0 over a known middle dim is resolved")
  func zerosResolved() throws {
    try expectGolden(
      pass("fuse-consecutive-reshapes"), input: Self.zeros,
      expected: opset17 + """
        g (float[N, 2, 6] X) => (float[N, 3, 2, 2] Y) {
          S2_fused = Constant<value = int64[4] {0, 3, 2, 2}>()
          Y = Reshape(X, S2_fused)
        }
        """)
  }

  @Test("with allowzero = 1 a shape that is not constant still fuses")
  func allowZero() throws {
    try expectGolden(
      pass("fuse-consecutive-reshapes"),
      input: opset17 + """
        g (float[4, 6] X, int64[2] S) => (float[M, K] Y) {
          S1 = Constant<value = int64[1] {24}>()
          R = Reshape(X, S1)
          Y = Reshape<allowzero = 1>(R, S)
        }
        """,
      expected: opset17 + """
        g (float[4, 6] X, int64[2] S) => (float[M, K] Y) {
          Y = Reshape<allowzero = 1>(X, S)
        }
        """)
  }

  @Test("before opset 5 the shape is an attribute")
  func attributeForm() throws {
    let opset4 = #"<ir_version: 3, opset_import: ["" : 4]>"#
    try expectGolden(
      pass("fuse-consecutive-reshapes"),
      input: opset4 + """
        g (float[4, 6] X) => (float[2, 3, 4] Y) {
          R = Reshape<shape = [6, -1]>(X)
          Y = Reshape<shape = [2, 0, -1]>(R)
        }
        """,
      expected: opset4 + "g (float[4, 6] X) => (float[2, 3, 4] Y) { Y = Reshape<shape = [2, 4, -1]>(X) }")
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-consecutive-reshapes")], input: Self.plain)
    try expectSameNumbers([pass("fuse-consecutive-reshapes")], input: Self.zeros, shapes: ["X": [3, 2, 6]])
  }

  @Test("a 0 copying a dynamic middle dim, or a shape that is not constant, stays")
  func negative() throws {
    // The middle is [2N, 3]; 0 would copy 2N, but X's dim 0 is N.
    try expectUnchanged(
      pass("fuse-consecutive-reshapes"),
      input: opset17 + """
        g (float[N, 6] X, int64[3] S) => (float[M, 1, 3] Y, float[A, B, C] Z) {
          S1 = Constant<value = int64[2] {-1, 3}>()
          R = Reshape(X, S1)
          S2 = Constant<value = int64[3] {0, 1, 3}>()
          Y = Reshape(R, S2)
          Q = Reshape(X, S1)
          Z = Reshape(Q, S)
        }
        """)
    let report = try runPasses([pass("fuse-consecutive-reshapes")], on: model(opset17 + """
      g (float[N, 6] X) => (float[M, 1, 3] Y) {
        S1 = Constant<value = int64[2] {-1, 3}>()
        R = Reshape(X, S1)
        S2 = Constant<value = int64[3] {0, 1, 3}>()
        Y = Reshape(R, S2)
      }
      """))
    #expect(report.notes.count == 1 && report.notes[0].message.contains("not known"))
  }
}
