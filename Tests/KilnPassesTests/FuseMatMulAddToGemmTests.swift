// fuse-matmul-add-to-gemm: MatMul + Add into Gemm for 2-D inputs; what it must leave.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-matmul-add-to-gemm")
struct FuseMatMulAddToGemmTests {
  static let input = opset17 + """
    g (float[3, 4] X, float[M, 4] Z) => (float[3, 2] Y, float[3, 2] R, float[M, 2] Q) <float[4, 2] B = {\(numberList(8, seed: 1))},
      float[2] C = {0.5, -1.0}, float[3, 1] Cm = {1.0, 2.0, 3.0}, float[1, 2] Cr = {0.25, 0.5}> {
      T = MatMul(X, B)
      Y = Add(T, C)
      P = MatMul(X, B)
      R = Add(Cm, P)
      S = MatMul(Z, B)
      Q = Add(S, Cr)
    }
    """

  @Test("bias [N], [M, 1] (Add operands swapped) and [1, N] with a symbolic M become Gemm")
  func golden() throws {
    try expectGolden(
      pass("fuse-matmul-add-to-gemm"), input: Self.input,
      expected: opset17 + """
        g (float[3, 4] X, float[M, 4] Z) => (float[3, 2] Y, float[3, 2] R, float[M, 2] Q) <float[4, 2] B = {\(numberList(8, seed: 1))},
          float[2] C = {0.5, -1.0}, float[3, 1] Cm = {1.0, 2.0, 3.0}, float[1, 2] Cr = {0.25, 0.5}> {
          Y = Gemm(X, B, C)
          R = Gemm(X, B, Cm)
          Q = Gemm(Z, B, Cr)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-matmul-add-to-gemm")], input: Self.input, tolerance: 1e-6, shapes: ["Z": [5, 4]])
  }

  @Test("3-D or unknown-rank A, [M, 1] bias with a symbolic M, a second reader, a graph-input bias, opset 6 stay")
  func negative() throws {
    try expectDeclined(
      pass("fuse-matmul-add-to-gemm"),
      input: opset17 + """
        g (float[2, 3, 4] X, float[M, 4] Z, float[3, 4] A, float[2] Cg, float[3, 4] U) => (float[2, 3, 2] Y, float[M, 2] Q, float[3, 2] R, float[3, 2] R2, float[3, 2] G, float[3, 2] V) <float[4, 2] B = {\(numberList(8, seed: 1))},
          float[2] C = {0.5, -1.0}, float[3, 1] Cm = {1.0, 2.0, 3.0}> {
          T = MatMul(X, B)
          Y = Add(T, C)
          S = MatMul(Z, B)
          Q = Add(S, Cm)
          P = MatMul(A, B)
          R = Add(P, C)
          R2 = Relu(P)
          H = MatMul(A, B)
          G = Add(H, Cg)
          Un = Identity(U)
          K = MatMul(Un, B)
          V = Add(K, C)
        }
        """,
      reasons: ["A is not known to be 2-D", "(M is not static)", "has more than one user", "is not a constant"])
    try expectDeclined(
      pass("fuse-matmul-add-to-gemm"),
      input: #"<ir_version: 3, opset_import: ["" : 6]>"# + """
        g (float[3, 4] X) => (float[3, 2] Y) <float[4, 2] B = {\(numberList(8, seed: 1))}, float[2] C = {0.5, -1.0}> {
          T = MatMul(X, B)
          Y = Add<broadcast = 1>(T, C)
        }
        """,
      reasons: ["before opset 7"])
  }
}
