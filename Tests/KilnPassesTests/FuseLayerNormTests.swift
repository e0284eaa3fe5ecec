// fuse-layer-norm: PyTorch's opset-17 export, the opset-18 axes input, γ/β handling, numbers,
// and what must not fuse.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-layer-norm")
struct FuseLayerNormTests {
  static let opset18 = #"<ir_version: 8, opset_import: ["" : 18]>"#

  static let parameters = "<float[4] gamma = {0.5, 1.0, 1.5, 2.0}, float[4] beta = {0.1, 0.2, 0.3, 0.4}>"

  /// The layer norm over the last axis of float[2, 3, 4] as torch exports it below opset 17,
  /// with γ and β; `opset` is the import, `affine` what follows the Div.
  static func exported(
    opset: Int = 17, axes: String = "[-1]", varianceAxes: String? = nil,
    affine: String = "G = Mul(N, gamma)\n  Y = Add(G, beta)", extraOutputs: String = "", extra: String = ""
  ) -> String {
    #"<ir_version: 8, opset_import: ["" : \#(opset)]>"# + """

      g (float[2, 3, 4] X) => (float[2, 3, 4] Y\(extraOutputs)) \(parameters) {
        M = ReduceMean<axes = \(axes)>(X)
        D = Sub(X, M)
        two = Constant<value = float {2.0}>()
        Q = Pow(D, two)
        V = ReduceMean<axes = \(varianceAxes ?? axes)>(Q)
        eps = Constant<value = float {1e-5}>()
        VE = Add(V, eps)
        S = Sqrt(VE)
        N = Div(D, S)
        \(affine)
        \(extra)
      }
      """
  }

  @Test("the torch export with γ and β becomes LayerNormalization(X, γ, β)")
  func golden() throws {
    let expected = opset17 + """
      g (float[2, 3, 4] X) => (float[2, 3, 4] Y) \(Self.parameters) {
        Y = LayerNormalization<axis = -1, epsilon = 1e-5>(X, gamma, beta)
      }
      """
    try expectGolden(pass("fuse-layer-norm"), input: Self.exported(), expected: expected)
  }

  @Test("opset 18: axes as an input, d · d, two axes, no γ/β: a ones scale and no bias")
  func goldenOpset18() throws {
    let input = Self.opset18 + """
      g (float[2, 3, 4] X) => (float[2, 3, 4] Y) {
        A = Constant<value = int64[2] {-2, -1}>()
        M = ReduceMean(X, A)
        D = Sub(X, M)
        Q = Mul(D, D)
        V = ReduceMean(Q, A)
        eps = Constant<value = float {1e-6}>()
        VE = Add(eps, V)
        S = Sqrt(VE)
        Y = Div(D, S)
      }
      """
    let ones = Array(repeating: "1.0", count: 12).joined(separator: ", ")
    let expected = Self.opset18 + """
      g (float[2, 3, 4] X) => (float[2, 3, 4] Y) <float[3, 4] Y_scale = {\(ones)}> {
        Y = LayerNormalization<axis = -2, epsilon = 1e-6>(X, Y_scale)
      }
      """
    try expectGolden(pass("fuse-layer-norm"), input: input, expected: expected)
  }

  @Test("outputs do not change beyond float rounding, also with γ [1, 4] and a broadcast β [1]")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-layer-norm")], input: Self.exported(), tolerance: 1e-5)
    let broadcast = Self.exported(affine: "G = Mul(gamma2, N)\n  Y = Add(beta1, G)")
      .replacingOccurrences(
        of: Self.parameters, with: "<float[1, 4] gamma2 = {0.5, 1.0, 1.5, 2.0}, float[1] beta1 = {0.25}>")
    let subject = try model(broadcast)
    try runPasses([pass("fuse-layer-norm")], on: subject)
    #expect(subject.graph.nodes.map(\.opType) == ["LayerNormalization"])
    try expectSameNumbers([pass("fuse-layer-norm")], input: broadcast, tolerance: 1e-5)
  }

  @Test("opset 16 does not fuse, and says why")
  func opset16() throws {
    let input = Self.exported(opset: 16)
    try expectUnchanged(pass("fuse-layer-norm"), input: input)
    let report = try runPasses([pass("fuse-layer-norm")], on: model(input))
    #expect(report.notes.contains { $0.message.contains("needs opset 17") })
  }

  @Test("a reused mean, leading or mismatched axes, or a γ varying across rows do not fuse")
  func negative() throws {
    let reusedMean = Self.exported(extraOutputs: ", float[2, 3, 1] W", extra: "W = Neg(M)")
    try expectUnchanged(pass("fuse-layer-norm"), input: reusedMean)
    let report = try runPasses([pass("fuse-layer-norm")], on: model(reusedMean))
    #expect(report.notes.contains { $0.message.contains("intermediate 'M' has a reader outside the pattern") })
    try expectUnchanged(pass("fuse-layer-norm"), input: Self.exported(axes: "[1]"))
    try expectUnchanged(pass("fuse-layer-norm"), input: Self.exported(axes: "[-1]", varianceAxes: "[-2, -1]"))
    // γ of shape [3, 1] scales rows, not the normalized axis: only the normalization fuses.
    let rowScale = Self.exported(affine: "Y = Mul(N, rows)")
      .replacingOccurrences(of: Self.parameters, with: "<float[3, 1] rows = {1.0, 2.0, 3.0}>")
    let subject = try model(rowScale)
    try runPasses([pass("fuse-layer-norm")], on: subject)
    #expect(subject.graph.nodes.map(\.opType) == ["LayerNormalization", "Mul"])
    try expectSameNumbers([pass("fuse-layer-norm")], input: rowScale, tolerance: 1e-5)
  }
}
