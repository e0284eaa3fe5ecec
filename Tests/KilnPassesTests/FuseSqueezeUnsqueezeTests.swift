// fuse-squeeze-unsqueeze: cancelling pairs, merged axes in both opset forms, what stays.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-squeeze-unsqueeze")
struct FuseSqueezeUnsqueezeTests {
  static let cancelling = opset17 + """
    g (float[2, 1, 3] X, float[2, 3] W) => (float[2, 1, 3] Y, float[2, 3] Z) {
      A = Relu(X)
      Ax = Constant<value = int64[1] {1}>()
      S = Squeeze(A, Ax)
      Y = Unsqueeze(S, Ax)
      Bx = Constant<value = int64[2] {0, -1}>()
      U = Unsqueeze(W, Bx)
      Cx = Constant<value = int64[2] {3, 0}>()
      V = Squeeze(U, Cx)
      Z = Neg(V)
    }
    """

  static let merging = opset17 + """
    g (float[2, 3] X, float[1, 2, 1, 3, 1] W) => (float[1, 2, 1, 3, 1] Y, float[2, 3] Z) {
      A = Constant<value = int64[1] {0}>()
      U = Unsqueeze(X, A)
      B = Constant<value = int64[2] {2, -1}>()
      Y = Unsqueeze(U, B)
      S = Squeeze(W, A)
      C = Constant<value = int64[2] {1, -1}>()
      Z = Squeeze(S, C)
    }
    """

  @Test("Squeeze then Unsqueeze of the same axes, and the reverse, go")
  func cancel() throws {
    try expectGolden(
      pass("fuse-squeeze-unsqueeze"), input: Self.cancelling,
      expected: opset17 + """
        g (float[2, 1, 3] X, float[2, 3] W) => (float[2, 1, 3] Y, float[2, 3] Z) {
          Y = Relu(X)
          Z = Neg(W)
        }
        """)
  }

  @Test("consecutive Unsqueezes and Squeezes merge, axes as an input from opset 13")
  func merge() throws {
    try expectGolden(
      pass("fuse-squeeze-unsqueeze"), input: Self.merging,
      expected: opset17 + """
        g (float[2, 3] X, float[1, 2, 1, 3, 1] W) => (float[1, 2, 1, 3, 1] Y, float[2, 3] Z) {
          Y_axes = Constant<value = int64[3] {0, 2, 4}>()
          Y = Unsqueeze(X, Y_axes)
          Z_axes = Constant<value = int64[3] {0, 2, 4}>()
          Z = Squeeze(W, Z_axes)
        }
        """)
  }

  @Test("before opset 13 the merged axes are an attribute")
  func mergeAttribute() throws {
    let opset11 = #"<ir_version: 7, opset_import: ["" : 11]>"#
    try expectGolden(
      pass("fuse-squeeze-unsqueeze"),
      input: opset11 + """
        g (float[2, 3] X) => (float[1, 1, 2, 3] Y) {
          U = Unsqueeze<axes = [0]>(X)
          Y = Unsqueeze<axes = [0]>(U)
        }
        """,
      expected: opset11 + "g (float[2, 3] X) => (float[1, 1, 2, 3] Y) { Y = Unsqueeze<axes = [0, 1]>(X) }")
    try expectGolden(
      pass("fuse-squeeze-unsqueeze"),
      input: opset11 + """
        g (float[1, 2, 1, 3] X) => (float[2, 3] Y) {
          S = Squeeze<axes = [2]>(X)
          Y = Squeeze<axes = [0]>(S)
        }
        """,
      expected: opset11 + "g (float[1, 2, 1, 3] X) => (float[2, 3] Y) { Y = Squeeze<axes = [0, 2]>(X) }")
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-squeeze-unsqueeze")], input: Self.cancelling)
    try expectSameNumbers([pass("fuse-squeeze-unsqueeze")], input: Self.merging)
  }

  @Test("pairs over different axes, axes that are not constant, and a graph input as output stay")
  func negative() throws {
    try expectUnchanged(
      pass("fuse-squeeze-unsqueeze"),
      input: opset17 + """
        g (float[2, 1, 3] X, int64[1] D, float[1, 3] P) => (float[1, 2, 3] Y, float[M, N, K] Z, float[1, 3] Q) {
          A = Constant<value = int64[1] {1}>()
          S = Squeeze(X, A)
          B = Constant<value = int64[1] {0}>()
          Y = Unsqueeze(S, B)
          T = Squeeze(X, A)
          Z = Unsqueeze(T, D)
          R = Squeeze(P, B)
          Q = Unsqueeze(R, B)
        }
        """)
  }
}
