// fuse-mul-add-into-conv: per-channel Mul and Add into the Conv's weight and bias; what it must leave.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-mul-add-into-conv")
struct FuseMulAddIntoConvTests {
  @Test("Conv → Mul [C,1,1] → Add [1,C,1,1] (either operand order) becomes one Conv")
  func golden() throws {
    try expectGolden(
      pass("fuse-mul-add-into-conv"),
      input: opset17 + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y) <float[2, 1, 1, 1] W = {1.0, 2.0}, float[2, 1, 1] Ms = {2.0, 3.0}, float[1, 2, 1, 1] As = {1.0, -1.0}> {
          T = Conv(X, W)
          U = Mul(T, Ms)
          Y = Add(As, U)
        }
        """,
      expected: opset17 + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y) <float[2, 1, 1, 1] W_fused = {2.0, 6.0}, float[2] W_bias_fused = {1.0, -1.0}> {
          Y = Conv(X, W_fused, W_bias_fused)
        }
        """)
  }

  @Test("Conv → Add → Mul with a bias and a scalar Mul: b' = (b + a)·m")
  func addThenMul() throws {
    try expectGolden(
      pass("fuse-mul-add-into-conv"),
      input: opset17 + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y) <float[2, 1, 1, 1] W = {1.0, 2.0}, float[2] B = {0.5, 1.0}, float[2, 1, 1] As = {1.0, -1.0}, float Ms = {2.0}> {
          T = Conv(X, W, B)
          U = Add(T, As)
          Y = Mul(U, Ms)
        }
        """,
      expected: opset17 + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y) <float[2, 1, 1, 1] W_fused = {2.0, 4.0}, float[2] B_fused_1 = {3.0, 0.0}> {
          Y = Conv(X, W_fused, B_fused_1)
        }
        """)
  }

  static let network = opset17 + """
    g (float[2, 4, 6, 6] X) => (float[2, 6, 6, 6] Y) <float[6, 2, 3, 3] W = {\(numberList(108, seed: 1))},
      float[6] B = {\(numberList(6, seed: 2))}, float[1, 6, 1, 1] Ms = {\(numberList(6, seed: 3))},
      float[6, 1, 1] As = {\(numberList(6, seed: 4))}, float Sc = {0.75}> {
      T = Conv<group = 2, pads = [1, 1, 1, 1]>(X, W, B)
      U = Mul(T, Ms)
      V = Add(U, As)
      Y = Mul(Sc, V)
    }
    """

  @Test("outputs do not change")
  func numbers() throws {
    let subject = try model(Self.network)
    try runPasses([pass("fuse-mul-add-into-conv")], on: subject)
    #expect(subject.graph.nodes.map(\.opType) == ["Conv"])
    try expectSameNumbers([pass("fuse-mul-add-into-conv")], input: Self.network, tolerance: 1e-5)
  }

  @Test("a second reader, a broadcasting or per-pixel operand, a graph-input operand stay")
  func negative() throws {
    try expectDeclined(
      pass("fuse-mul-add-into-conv"),
      input: opset17 + """
        g (float[1, 1, 3, 3] X, float[2, 1, 1] Gi) => (float[1, 2, 3, 3] Y1, float[1, 2, 3, 3] Z1, float[1, 2, 3, 3] Y2, float[1, 2, 3, 3] Y3, float[2, 2, 3, 3] Y4) <float[2, 1, 1, 1] W = {1.0, 2.0}, float[3, 3] Px = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0}, float[2, 1, 1, 1] Bc = {1.0, 2.0}> {
          T1 = Conv(X, W)
          Y1 = Mul(T1, Bc)
          Z1 = Relu(T1)
          T2 = Conv(X, W)
          Y2 = Add(T2, Px)
          T3 = Conv(X, W)
          Y3 = Mul(T3, Gi)
          T4 = Conv(X, W)
          Y4 = Add(T4, Bc)
        }
        """,
      reasons: ["has more than one user", "is not per channel", "is not a constant"])
  }
}
