// fold-shapes: static dims of Shape computations fold, symbolic ones stay.

import Foundation
import KilnIR
import KilnPasses
import KilnRuntime
import Testing

@Suite("fold-shapes")
struct FoldShapesTests {
  static let flatten = opset17 + """
    g (float[N, 3, 8, 8] X) => (float[N, 3, 64] Y) {
      S = Shape(X)
      I0 = Constant<value = int64 {0}>()
      I1 = Constant<value = int64 {1}>()
      N0 = Gather(S, I0)
      C1 = Gather(S, I1)
      A = Constant<value = int64[1] {0}>()
      U0 = Unsqueeze(N0, A)
      U1 = Unsqueeze(C1, A)
      M = Constant<value = int64[1] {-1}>()
      Sh = Concat<axis = 0>(U0, U1, M)
      Y = Reshape(X, Sh)
    }
    """

  @Test("Shape(x)[1] folds to 3 while Shape(x)[0] (symbolic N) stays")
  func golden() throws {
    try expectGolden(
      pass("fold-shapes"), input: Self.flatten,
      expected: opset17 + """
        g (float[N, 3, 8, 8] X) => (float[N, 3, 64] Y) <int64[1] U1 = {3}> {
          S = Shape(X)
          I0 = Constant<value = int64 {0}>()
          N0 = Gather(S, I0)
          A = Constant<value = int64[1] {0}>()
          U0 = Unsqueeze(N0, A)
          M = Constant<value = int64[1] {-1}>()
          Sh = Concat<axis = 0>(U0, U1, M)
          Y = Reshape(X, Sh)
        }
        """)
  }

  @Test("fully static Shape, Slice, Cast and Size become constants")
  func staticShapes() throws {
    try expectGolden(
      pass("fold-shapes"),
      input: opset17 + """
        g (float[2, 3, 4] X) => (float[6, 4] Y, int64 Z) {
          S = Shape(X)
          St = Constant<value = int64[1] {1}>()
          En = Constant<value = int64[1] {3}>()
          T = Slice(S, St, En)
          C = Cast<to = 7>(T)
          Sh = Constant<value = int64[2] {-1, 4}>()
          Y = Reshape(X, Sh)
          Z = Size(X)
          K = Reshape(X, C)
        }
        """,
      expected: opset17 + """
        g (float[2, 3, 4] X) => (float[6, 4] Y, int64 Z) <int64[2] C = {3, 4}, int64 Z = {24}> {
          Sh = Constant<value = int64[2] {-1, 4}>()
          Y = Reshape(X, Sh)
          K = Reshape(X, C)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fold-shapes")], input: Self.flatten, shapes: ["X": [2, 3, 8, 8]])
  }

  @Test("symbolic and unknown dims are never guessed")
  func negative() throws {
    try expectUnchanged(
      pass("fold-shapes"),
      input: opset17 + """
        g (float[N, M] X) => (float[N, M] Y) {
          S = Shape(X)
          I = Constant<value = int64[1] {1}>()
          D = Gather(S, I)
          Y = Reshape(X, S)
          Z = Size(X)
        }
        """)
  }
}

@Suite("Folding in the default pipeline")
struct DefaultPipelineFoldingTests {
  static let flattenAfterConv = opset17 + """
    g (float[N, 3, 8, 8] X, float[4, 3, 3, 3] W) => (float[N, 256] Y) {
      C = Conv<pads = [1, 1, 1, 1]>(X, W)
      S = Shape(C)
      I0 = Constant<value = int64[1] {0}>()
      I1 = Constant<value = int64[1] {1}>()
      I2 = Constant<value = int64[1] {2}>()
      I3 = Constant<value = int64[1] {3}>()
      D0 = Gather(S, I0)
      D1 = Gather(S, I1)
      D2 = Gather(S, I2)
      D3 = Gather(S, I3)
      HW = Mul(D2, D3)
      CHW = Mul(D1, HW)
      Sh = Concat<axis = 0>(D0, CHW)
      Y = Reshape(C, Sh)
    }
    """

  static func defaultPipeline() throws -> Pipeline {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("passes").path
    return try Pipeline.load("default", searching: [folder])
  }

  @Test("infer-shapes proves the Conv's C, H and W, fold-shapes and fold-constants make 256, N stays")
  func golden() throws {
    let subject = try model(Self.flattenAfterConv)
    let report = try PassManager(pipeline: Self.defaultPipeline(), verifyEachPass: true).run(on: subject)
    #expect(report.converged)
    let expected = try model(
      opset17 + """
        g (float[N, 3, 8, 8] X, float[4, 3, 3, 3] W) => (float[N, 256] Y) <int64[1] CHW = {256}> {
          C = Conv<pads = [1, 1, 1, 1]>(X, W)
          S = Shape(C)
          I0 = Constant<value = int64[1] {0}>()
          D0 = Gather(S, I0)
          Sh = Concat<axis = 0>(D0, CHW)
          Y = Reshape(C, Sh)
        }
        """)
    #expect(Printer.print(subject.graph) == Printer.print(expected.graph))
  }

  @Test("outputs do not change")
  func numbers() throws {
    let subject = try model(Self.flattenAfterConv)
    var generator = SplitMix64(seed: 7)
    var feeds: [String: HostTensor] = [:]
    for value in subject.graph.inputs {
      feeds[value.name] = try randomTensor(value, shape: value.name == "X" ? [2, 3, 8, 8] : nil, &generator)
    }
    let before = try Executor(model: subject).run(feeds)
    _ = try PassManager(pipeline: Self.defaultPipeline(), verifyEachPass: true).run(on: subject)
    let after = try Executor(model: subject).run(feeds)
    #expect(after["Y"]?.shape == [2, 256])
    #expect(after["Y"]?.doubleValues() == before["Y"]?.doubleValues())
  }
}
