// fuse-consecutive-transposes: composed permutations, shared first Transposes, defaults.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-consecutive-transposes")
struct FuseConsecutiveTransposesTests {
  static let chain = opset17 + """
    g (float[2, 3, 4] X) => (float[3, 2, 4] Y) {
      T = Transpose<perm = [0, 2, 1]>(X)
      Y = Transpose<perm = [2, 0, 1]>(T)
    }
    """

  /// The first Transpose is also read by Relu; the second uses the default (reversed) perm;
  /// a third Transpose follows.
  static let shared = opset17 + """
    g (float[2, 3, 4] X) => (float[3, 4, 2] Y, float[3, 2, 4] W) {
      T = Transpose<perm = [1, 0, 2]>(X)
      W = Relu(T)
      U = Transpose(T)
      Y = Transpose<perm = [2, 0, 1]>(U)
    }
    """

  @Test("two Transposes become one with perm p[q[i]]")
  func golden() throws {
    try expectGolden(
      pass("fuse-consecutive-transposes"), input: Self.chain,
      expected: opset17 + """
        g (float[2, 3, 4] X) => (float[3, 2, 4] Y) {
          Y = Transpose<perm = [1, 0, 2]>(X)
        }
        """)
  }

  @Test("a first Transpose with another reader stays; default perms and chains of three fuse")
  func sharedAndDefault() throws {
    // U = T(x, [2, 0, 1]) (reversed [2,1,0] after [1,0,2]); then [2,0,1] after that = [1, 2, 0].
    try expectGolden(
      pass("fuse-consecutive-transposes"), input: Self.shared,
      expected: opset17 + """
        g (float[2, 3, 4] X) => (float[3, 4, 2] Y, float[3, 2, 4] W) {
          T = Transpose<perm = [1, 0, 2]>(X)
          W = Relu(T)
          Y = Transpose<perm = [1, 2, 0]>(X)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-consecutive-transposes")], input: Self.chain)
    try expectSameNumbers([pass("fuse-consecutive-transposes")], input: Self.shared)
  }

  @Test("inverse pairs (left to eliminate-inverse-transposes) and Transposes apart stay")
  func negative() throws {
    try expectUnchanged(
      pass("fuse-consecutive-transposes"),
      input: opset17 + """
        g (float[2, 3] X) => (float[2, 3] Y, float[2, 3] Z) {
          T = Transpose<perm = [1, 0]>(X)
          Y = Transpose<perm = [1, 0]>(T)
          R = Relu(T)
          Z = Transpose<perm = [1, 0]>(R)
        }
        """)
  }
}
