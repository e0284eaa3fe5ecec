// The layout fusions inside the repository's default pipeline: chains collapse, numbers stay.

import Foundation
import KilnIR
import KilnPasses
import KilnRuntime
import Testing

@Suite("Layout fusions in the default pipeline")
struct LayoutFusionPipelineTests {
  static let chains = opset17 + """
    g (float[1, 2, 3, 4] X) => (float[1, 2, 1, 4] Y) {
      T = Transpose<perm = [0, 2, 3, 1]>(X)
      U = Transpose<perm = [0, 3, 1, 2]>(T)
      D = Cast<to = 11>(U)
      F = Cast<to = 1>(D)
      S0 = Constant<value = int64[2] {6, 4}>()
      R0 = Reshape(F, S0)
      S = Constant<value = int64[3] {2, 3, 4}>()
      R = Reshape(R0, S)
      A0 = Constant<value = int64[1] {2}>()
      Q = Unsqueeze(R, A0)
      St = Constant<value = int64[1] {0}>()
      En = Constant<value = int64[1] {1}>()
      Ax = Constant<value = int64[1] {0}>()
      P = Slice(Q, St, En, Ax)
      St1 = Constant<value = int64[1] {1}>()
      En1 = Constant<value = int64[1] {3}>()
      Ax1 = Constant<value = int64[1] {1}>()
      Y = Slice(P, St1, En1, Ax1)
    }
    """

  static func defaultPipeline() throws -> Pipeline {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("passes").path
    return try Pipeline.load("default", searching: [folder])
  }

  /// The Slice's axes are the same constant as its starts, so CSE shares them.
  @Test("transposes, casts, reshapes and slices collapse; the outputs do not change")
  func collapses() throws {
    let subject = try model(Self.chains)
    let feeds = ["X": try HostTensor(shape: [1, 2, 3, 4], values: (0..<24).map { Float($0) / 7 - 1.5 })]
    let before = try Executor(model: subject).run(feeds)
    try PassManager(pipeline: Self.defaultPipeline(), verifyEachPass: true).run(on: subject)
    let expected = try model(opset17 + """
      g (float[1, 2, 3, 4] X) => (float[1, 2, 1, 4] Y) {
        S = Constant<value = int64[3] {2, 3, 4}>()
        R = Reshape(X, S)
        A0 = Constant<value = int64[1] {2}>()
        Q = Unsqueeze(R, A0)
        Y_starts = Constant<value = int64[2] {0, 1}>()
        Y_ends = Constant<value = int64[2] {1, 3}>()
        Y = Slice(Q, Y_starts, Y_ends, Y_starts)
      }
      """)
    #expect(Printer.print(subject.graph) == Printer.print(expected.graph))
    let after = try Executor(model: subject).run(feeds)
    #expect(after["Y"]?.shape == before["Y"]?.shape)
    #expect(after["Y"]?.doubleValues() == before["Y"]?.doubleValues())
  }
}
