// fold-batchnorm: BN into Conv, ConvTranspose, Gemm and MatMul; numbers; where it must not fire.

import KilnIR
import KilnPasses
import KilnRuntime
import Testing

@Suite("fold-batchnorm")
struct FoldBatchNormTests {
  // s = scale/√(var+ε) = {2, 3}, t = bias − mean·s = {0, −3} with ε = 1.
  static let bn = "float[2] S = {4.0, 3.0}, float[2] Bb = {1.0, 0.0}, float[2] M = {0.5, 1.0}, float[2] V = {3.0, 0.0}"

  @Test("Conv: W' = s·W, b' = s·b + t; the BN's parameters go")
  func conv() throws {
    try expectGolden(
      pass("fold-batchnorm"),
      input: opset17 + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y) <float[2, 1, 1, 1] W = {1.0, 2.0}, float[2] B = {0.5, -1.0}, \(Self.bn)> {
          T = Conv(X, W, B)
          Y = BatchNormalization<epsilon = 1.0>(T, S, Bb, M, V)
        }
        """,
      expected: opset17 + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y) <float[2, 1, 1, 1] W_fused = {2.0, 6.0}, float[2] B_fused = {1.0, -6.0}> {
          Y = Conv(X, W_fused, B_fused)
        }
        """)
  }

  @Test("ConvTranspose: W is [C_in, C_out/group, …]; a Conv without bias gets one; Constant parameters go")
  func convTranspose() throws {
    // group 2, C_in 2, C_out 2: W[0, 0] feeds channel 0, W[1, 0] channel 1.
    try expectGolden(
      pass("fold-batchnorm"),
      input: opset17 + """
        g (float[1, 2, 2, 2] X) => (float[1, 2, 2, 2] Y) <float[2, 1, 1, 1] W = {1.0, 2.0}, float[2] Bb = {1.0, 0.0}, float[2] M = {0.5, 1.0}, float[2] V = {3.0, 0.0}> {
          S = Constant<value = float[2] {4.0, 3.0}>()
          T = ConvTranspose<group = 2>(X, W)
          Y = BatchNormalization<epsilon = 1.0>(T, S, Bb, M, V)
        }
        """,
      expected: opset17 + """
        g (float[1, 2, 2, 2] X) => (float[1, 2, 2, 2] Y) <float[2, 1, 1, 1] W_fused = {2.0, 6.0}, float[2] W_bias_fused = {0.0, -3.0}> {
          Y = ConvTranspose<group = 2>(X, W_fused, W_bias_fused)
        }
        """)
  }

  @Test("Gemm with transB: rows of B scale, C' = s·β·C + t, β' = 1; MatMul with a 2-D A becomes Gemm")
  func gemmAndMatMul() throws {
    try expectGolden(
      pass("fold-batchnorm"),
      input: opset17 + """
        g (float[3, 1] X, float[3, 1] Z) => (float[3, 2] Y, float[3, 2] R) <float[2, 1] W = {1.0, 2.0}, float[2] C = {0.5, -1.0}, float[1, 2] K = {1.0, 2.0}, \(Self.bn)> {
          T = Gemm<transB = 1, beta = 2.0>(X, W, C)
          Y = BatchNormalization<epsilon = 1.0>(T, S, Bb, M, V)
          P = MatMul(Z, K)
          R = BatchNormalization<epsilon = 1.0>(P, S, Bb, M, V)
        }
        """,
      expected: opset17 + """
        g (float[3, 1] X, float[3, 1] Z) => (float[3, 2] Y, float[3, 2] R) <float[2, 1] W_fused = {2.0, 6.0}, float[2] C_fused = {2.0, -9.0}, float[1, 2] K_fused = {2.0, 6.0}, float[2] K_bias_fused = {0.0, -3.0}> {
          Y = Gemm<beta = 1.0, transB = 1>(X, W_fused, C_fused)
          R = Gemm(Z, K_fused, K_bias_fused)
        }
        """)
  }

  static let network = opset17 + """
    g (float[2, 4, 5, 5] X, float[3, 6] A) => (float[2, 6, 5, 5] Y, float[2, 4, 5, 5] U, float[3, 4] G, float[3, 4] H) <
      float[6, 2, 3, 3] W = {\(numberList(108, seed: 1))}, float[6] B = {\(numberList(6, seed: 2))},
      float[6] S = {\(numberList(6, seed: 3, in: 0.5..<2))}, float[6] Bb = {\(numberList(6, seed: 4))},
      float[6] M = {\(numberList(6, seed: 5))}, float[6] V = {\(numberList(6, seed: 6, in: 0.1..<2))},
      float[6, 2, 3, 3] Wt = {\(numberList(108, seed: 7))},
      float[4] S4 = {\(numberList(4, seed: 8, in: 0.5..<2))}, float[4] B4 = {\(numberList(4, seed: 9))},
      float[4] M4 = {\(numberList(4, seed: 10))}, float[4] V4 = {\(numberList(4, seed: 11, in: 0.1..<2))},
      float[4, 6] Wg = {\(numberList(24, seed: 12))}, float[4] Cg = {\(numberList(4, seed: 13))},
      float[6, 4] Wm = {\(numberList(24, seed: 14))}> {
      T = Conv<group = 2, pads = [1, 1, 1, 1]>(X, W, B)
      Y = BatchNormalization<epsilon = 0.001>(T, S, Bb, M, V)
      P = ConvTranspose<group = 2, pads = [1, 1, 1, 1]>(Y, Wt)
      U = BatchNormalization(P, S4, B4, M4, V4)
      Q = Gemm<transB = 1, alpha = 0.5, beta = 2.0>(A, Wg, Cg)
      G = BatchNormalization(Q, S4, B4, M4, V4)
      R = MatMul(A, Wm)
      H = BatchNormalization(R, S4, B4, M4, V4)
    }
    """

  @Test("grouped Conv, grouped ConvTranspose, Gemm and MatMul: outputs do not change")
  func numbers() throws {
    let subject = try model(Self.network)
    try runPasses([pass("fold-batchnorm")], on: subject)
    #expect(!subject.graph.nodes.contains { $0.opType == "BatchNormalization" })
    try expectSameNumbers([pass("fold-batchnorm")], input: Self.network, tolerance: 1e-5)
  }

  @Test("float16 weights fold through Double and stay float16")
  func float16() throws {
    // ONNX text has no float16 literals: the float32 constants are converted after parsing.
    let subject = try model(opset17 + """
      g (float[1, 2, 4, 4] X) => (float[1, 3, 4, 4] Y) <float[3, 2, 1, 1] W = {\(numberList(6, seed: 1))},
        float[3] S = {1.5, 0.75, 2.0}, float[3] Bb = {0.25, -0.5, 1.0}, float[3] M = {0.1, 0.2, -0.3}, float[3] V = {0.5, 1.0, 2.0}> {
        H = Cast<to = 10>(X)
        T = Conv(H, W)
        N = BatchNormalization(T, S, Bb, M, V)
        Y = Cast<to = 1>(N)
      }
      """)
    for value in subject.graph.initializers {
      let tensor = try #require(value.constant)
      let values = try HostTensor(tensor).scalars(as: Float.self).map { Float16($0) }
      value.constant = try Tensor(HostTensor(shape: tensor.dims.map { Int($0) }, values: values), name: value.name)
      value.type = .tensor(.float16, tensor.shape)
    }
    var generator = SplitMix64(seed: 5)
    let feeds = ["X": try randomTensor(subject.graph.inputs[0], shape: nil, &generator)]
    let before = try #require(try Executor(model: subject).run(feeds)["Y"]?.doubleValues())

    try runPasses([pass("fold-batchnorm")], on: subject)
    #expect(subject.graph.nodes.map(\.opType) == ["Cast", "Conv", "Cast"])
    let conv = try #require(subject.graph.nodes.first { $0.opType == "Conv" })
    #expect(conv.inputs.compactMap { $0?.constant?.dataType } == [.float16, .float16])
    let after = try #require(try Executor(model: subject).run(feeds)["Y"]?.doubleValues())
    let worst = zip(before, after).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= 1e-2, "max abs error \(worst)")
  }

  @Test("a second reader of the Conv, a graph-input or training BN, a 3-D MatMul, and opset-9 statistics outputs stay")
  func negative() throws {
    try expectDeclined(
      pass("fold-batchnorm"),
      input: opset17 + """
        g (float[1, 1, 3, 3] X, float[2] S2, float[2, 2, 1] Z) => (float[1, 2, 3, 3] Y, float[1, 2, 3, 3] Y2, float[1, 2, 3, 3] Y3, float[1, 2, 3, 3] Y4, float[2, 2, 2] R) <float[2, 1, 1, 1] W = {1.0, 2.0}, float[1, 2] K = {2.0, 1.0}, \(Self.bn)> {
          T = Conv(X, W)
          Y = BatchNormalization(T, S, Bb, M, V)
          Y2 = Relu(T)
          T3 = Conv(X, W)
          Y3 = BatchNormalization(T3, S2, Bb, M, V)
          T4 = Conv(X, W)
          Y4, Rm, Rv = BatchNormalization<training_mode = 1>(T4, S, Bb, M, V)
          P = MatMul(Z, K)
          R = BatchNormalization(P, S, Bb, M, V)
        }
        """,
      reasons: ["has more than one user", "is not a constant", "training_mode is set", "A is not known to be 2-D"])
    try expectDeclined(
      pass("fold-batchnorm"),
      input: #"<ir_version: 4, opset_import: ["" : 9]>"# + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y) <float[2, 1, 1, 1] W = {1.0, 2.0}, \(Self.bn)> {
          T = Conv(X, W)
          Y, Rm, Rv, Sm, Sv = BatchNormalization(T, S, Bb, M, V)
        }
        """,
      reasons: ["declares statistics outputs"])
  }

  @Test("a shared weight is not changed for its other reader; a graph-input weight is not folded")
  func sharedWeight() throws {
    try expectGolden(
      pass("fold-batchnorm"),
      input: opset17 + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y, float[1, 2, 3, 3] Z) <float[2, 1, 1, 1] W = {1.0, 2.0}, \(Self.bn)> {
          T = Conv(X, W)
          Y = BatchNormalization<epsilon = 1.0>(T, S, Bb, M, V)
          Z = Conv(X, W)
        }
        """,
      expected: opset17 + """
        g (float[1, 1, 3, 3] X) => (float[1, 2, 3, 3] Y, float[1, 2, 3, 3] Z) <float[2, 1, 1, 1] W = {1.0, 2.0}, float[2, 1, 1, 1] W_fused = {2.0, 6.0}, float[2] W_bias_fused = {0.0, -3.0}> {
          Y = Conv(X, W_fused, W_bias_fused)
          Z = Conv(X, W)
        }
        """)
    try expectDeclined(
      pass("fold-batchnorm"),
      input: opset17 + """
        g (float[1, 1, 3, 3] X, float[2, 1, 1, 1] W = {1.0, 2.0}) => (float[1, 2, 3, 3] Y) <\(Self.bn)> {
          T = Conv(X, W)
          Y = BatchNormalization(T, S, Bb, M, V)
        }
        """,
      reasons: ["overridable graph input"])
  }

  @Test("a skipped match says why")
  func notes() throws {
    let subject = try model(opset17 + """
      g (float[1, 1, 3, 3] X, float[2, 1, 1, 1] W) => (float[1, 2, 3, 3] Y) <\(Self.bn)> {
        T = Conv(X, W)
        Y = BatchNormalization(T, S, Bb, M, V)
      }
      """)
    let report = try runPasses([pass("fold-batchnorm")], on: subject)
    #expect(report.notes.contains { $0.description.contains("the weight 'W' is not a constant") })
  }
}
