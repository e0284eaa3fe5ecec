// passes/aggressive.pipeline: the default passes, then the fusions, then cleanup, end to end.

import Foundation
import KilnIR
import KilnPasses
import Testing

@Suite("aggressive pipeline")
struct AggressivePipelineTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("passes").path

  /// A transformer block's tail at opset 20: an exported LayerNorm (with a duplicated mean that
  /// common-subexpression elimination must merge first) feeding an exported erf GELU.
  static let block = #"<ir_version: 9, opset_import: ["" : 20]>"# + """

    g (float[2, 3, 4] X) => (float[2, 3, 4] Y) <float[4] gamma = {0.5, 1.0, 1.5, 2.0}, float[4] beta = {0.1, 0.2, 0.3, 0.4}> {
      A = Constant<value = int64[1] {-1}>()
      M = ReduceMean(X, A)
      M2 = ReduceMean(X, A)
      D = Sub(X, M2)
      two = Constant<value = float {2.0}>()
      Q = Pow(D, two)
      V = ReduceMean(Q, A)
      eps = Constant<value = float {1e-5}>()
      VE = Add(V, eps)
      S = Sqrt(VE)
      N = Div(D, S)
      G = Mul(N, gamma)
      L = Add(G, beta)
      r = Constant<value = float {1.4142135}>()
      LS = Div(L, r)
      E = Erf(LS)
      one = Constant<value = float {1.0}>()
      P = Add(E, one)
      H = Mul(L, P)
      half = Constant<value = float {0.5}>()
      Y = Mul(H, half)
    }
    """

  @Test("a LayerNorm and a GELU become LayerNormalization and Gelu, with the same numbers")
  func fusesBlock() throws {
    let pipeline = try Pipeline.load("aggressive", searching: [Self.folder])
    let subject = try model(Self.block)
    let report = try PassManager(pipeline: pipeline, verifyEachPass: true).run(on: subject)
    #expect(report.converged)
    #expect(subject.graph.nodes.map(\.opType) == ["LayerNormalization", "Gelu"])
    #expect(subject.graph.initializers.map(\.name) == ["gamma", "beta"])
    try expectSameNumbers(pipeline.steps.map(\.pass), input: Self.block, tolerance: 1e-5)
  }
}
