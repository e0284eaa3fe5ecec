// fuse-consecutive-slices: disjoint axes, a shared axis with static bounds, and what stays.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-consecutive-slices")
struct FuseConsecutiveSlicesTests {
  /// Y: rows then columns; Z: rows 2..<9, then rows 1..<-1 of those (rows 3..<8 of X), with
  /// every other column taken by the first Slice.
  static let slices = opset17 + """
    g (float[4, 6] X, float[10, 4] W) => (float[2, 3] Y, float[5, 2] Z) {
      S1 = Constant<value = int64[1] {1}>()
      E1 = Constant<value = int64[1] {3}>()
      A0 = Constant<value = int64[1] {0}>()
      R = Slice(X, S1, E1, A0)
      S2 = Constant<value = int64[1] {2}>()
      E2 = Constant<value = int64[1] {5}>()
      A1 = Constant<value = int64[1] {1}>()
      Y = Slice(R, S2, E2, A1)
      Ws = Constant<value = int64[2] {2, 0}>()
      We = Constant<value = int64[2] {9, 4}>()
      Wa = Constant<value = int64[2] {0, -1}>()
      Wk = Constant<value = int64[2] {1, 2}>()
      Q = Slice(W, Ws, We, Wa, Wk)
      Qs = Constant<value = int64[1] {1}>()
      Qe = Constant<value = int64[1] {-1}>()
      Z = Slice(Q, Qs, Qe, A0)
    }
    """

  @Test("Slices of different axes merge; a shared axis with steps 1 and a static size composes")
  func golden() throws {
    try expectGolden(
      pass("fuse-consecutive-slices"), input: Self.slices,
      expected: opset17 + """
        g (float[4, 6] X, float[10, 4] W) => (float[2, 3] Y, float[5, 2] Z) {
          Y_starts = Constant<value = int64[2] {1, 2}>()
          Y_ends = Constant<value = int64[2] {3, 5}>()
          Y_axes = Constant<value = int64[2] {0, 1}>()
          Y = Slice(X, Y_starts, Y_ends, Y_axes)
          Z_starts = Constant<value = int64[2] {3, 0}>()
          Z_ends = Constant<value = int64[2] {8, 4}>()
          Z_axes = Constant<value = int64[2] {0, 1}>()
          Z_steps = Constant<value = int64[2] {1, 2}>()
          Z = Slice(W, Z_starts, Z_ends, Z_axes, Z_steps)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-consecutive-slices")], input: Self.slices)
  }

  @Test("a shared axis with a step of 2 or a dynamic size, and Slice before opset 10, stay")
  func negative() throws {
    try expectUnchanged(
      pass("fuse-consecutive-slices"),
      input: opset17 + """
        g (float[10, 4] X, float[N, 4] D) => (float[3, 4] Y, float[M, 4] Z) {
          S = Constant<value = int64[1] {1}>()
          E = Constant<value = int64[1] {9}>()
          A = Constant<value = int64[1] {0}>()
          K = Constant<value = int64[1] {2}>()
          R = Slice(X, S, E, A, K)
          Y = Slice(R, S, E, A)
          T = Slice(D, S, E, A)
          Z = Slice(T, S, E, A)
        }
        """)
    let opset9 = #"<ir_version: 4, opset_import: ["" : 9]>"#
    try expectUnchanged(
      pass("fuse-consecutive-slices"),
      input: opset9 + """
        g (float[4, 6] X) => (float[2, 3] Y) {
          R = Slice<starts = [1], ends = [3], axes = [0]>(X)
          Y = Slice<starts = [2], ends = [5], axes = [1]>(R)
        }
        """)
  }
}
