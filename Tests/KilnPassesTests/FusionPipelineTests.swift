// The default pipeline on a small CNN block: the fusions and the cleanup together.

import Foundation
import KilnIR
import KilnPasses
import KilnRuntime
import Testing

@Suite("Fusions in the default pipeline")
struct FusionPipelineTests {
  static let block = opset17 + """
    g (float[1, 3, 8, 8] X, float[2, 16] F) => (float[1, 8, 4, 4] Y, float[2, 4] Z) <
      float[8, 3, 3, 3] W = {\(numberList(216, seed: 1))},
      float[8] S = {\(numberList(8, seed: 2, in: 0.5..<2))}, float[8] B = {\(numberList(8, seed: 3))},
      float[8] M = {\(numberList(8, seed: 4))}, float[8] V = {\(numberList(8, seed: 5, in: 0.1..<2))},
      int64[8] P = {0, 0, 1, 1, 0, 0, 1, 1},
      float[16, 4] Wf = {\(numberList(64, seed: 6))}, float[4] Cf = {\(numberList(4, seed: 7))}> {
      Xp = Pad(X, P)
      T = Conv<kernel_shape = [3, 3]>(Xp, W)
      N = BatchNormalization(T, S, B, M, V)
      R = Relu(N)
      Rp = Pad(R, P)
      Y = MaxPool<kernel_shape = [3, 3], strides = [2, 2]>(Rp)
      G = MatMul(F, Wf)
      Z = Add(G, Cf)
    }
    """

  @Test("Pad → Conv → BN → Relu → Pad → MaxPool becomes Conv → Relu → MaxPool; MatMul + Add becomes Gemm; numbers stay")
  func block() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("passes").path
    let pipeline = try Pipeline.load("default", searching: [folder])
    let subject = try model(Self.block)
    var generator = SplitMix64(seed: 9)
    var feeds: [String: HostTensor] = [:]
    for input in subject.graph.inputs { feeds[input.name] = try randomTensor(input, shape: nil, &generator) }
    let before = try Executor(model: subject).run(feeds)

    try PassManager(pipeline: pipeline, verifyEachPass: true).run(on: subject)
    #expect(subject.graph.nodes.map(\.opType) == ["Conv", "Relu", "MaxPool", "Gemm"])
    #expect(subject.graph.initializers.count == 4)  // W', b', Wf, Cf

    let after = try Executor(model: subject).run(feeds)
    for (name, expected) in before {
      let a = try #require(after[name]?.doubleValues())
      let b = try #require(expected.doubleValues())
      #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 }, "output \(name)")
    }
  }
}
