// fuse-pad-into-pool: Pad into MaxPool (after Relu, or −∞ padding) and AveragePool (count_include_pad); what it must leave.

import Foundation
import KilnIR
import KilnPasses
import KilnRuntime
import Testing

@Suite("fuse-pad-into-pool")
struct FusePadIntoPoolTests {
  static let input = opset17 + """
    g (float[1, 2, 5, 5] X) => (float[1, 2, 5, 5] Y1, float[1, 2, 5, 5] Y2, float[1, 2, 7, 7] Y3) <int64[8] P = {0, 0, 1, 1, 0, 0, 1, 1}> {
      R = Relu(X)
      T1 = Pad(R, P)
      Y1 = MaxPool<kernel_shape = [3, 3]>(T1)
      T2 = Pad(X, P)
      Y2 = AveragePool<kernel_shape = [3, 3]>(T2)
      T3 = Pad(X, P)
      Y3 = AveragePool<kernel_shape = [2, 2], pads = [1, 1, 0, 0], count_include_pad = 1>(T3)
    }
    """

  @Test("zero Pad after Relu into MaxPool; into AveragePool without pads (count_include_pad set) or with count_include_pad = 1")
  func golden() throws {
    try expectGolden(
      pass("fuse-pad-into-pool"), input: Self.input,
      expected: opset17 + """
        g (float[1, 2, 5, 5] X) => (float[1, 2, 5, 5] Y1, float[1, 2, 5, 5] Y2, float[1, 2, 7, 7] Y3) <int64[8] P = {0, 0, 1, 1, 0, 0, 1, 1}> {
          R = Relu(X)
          Y1 = MaxPool<kernel_shape = [3, 3], pads = [1, 1, 1, 1]>(R)
          Y2 = AveragePool<kernel_shape = [3, 3], pads = [1, 1, 1, 1], count_include_pad = 1>(X)
          Y3 = AveragePool<kernel_shape = [2, 2], pads = [2, 2, 1, 1], count_include_pad = 1>(X)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-pad-into-pool")], input: Self.input, tolerance: 1e-6)
  }

  @Test("−∞ padding goes into a MaxPool whatever its input")
  func negativeInfinity() throws {
    let text = opset17 + """
      g (float[1, 2, 5, 5] X) => (float[1, 2, 5, 5] Y) <int64[8] P = {0, 0, 1, 1, 0, 0, 1, 1}, float V = {-1.0}> {
        T = Pad(X, P, V)
        Y = MaxPool<kernel_shape = [3, 3]>(T)
      }
      """
    let subject = try model(text)
    let value = try #require(subject.graph.initializers.first { $0.name == "V" })
    value.constant = Tensor(name: "V", dataType: .float, dims: [], bytes: withUnsafeBytes(of: (-Float.infinity).bitPattern.littleEndian) { Data($0) })

    var generator = SplitMix64(seed: 3)
    let feeds = ["X": try randomTensor(subject.graph.inputs[0], shape: nil, &generator)]
    let before = try Executor(model: subject).run(feeds)
    let report = try runPasses([pass("fuse-pad-into-pool")], on: subject)
    #expect(report.statistics.first?.changed == true)
    #expect(subject.graph.nodes.map(\.opType) == ["MaxPool"])
    #expect(subject.graph.nodes.first?.ints("pads") == [1, 1, 1, 1])
    let after = try Executor(model: subject).run(feeds)
    #expect(after["Y"]?.doubleValues() == before["Y"]?.doubleValues())
  }

  @Test("zero Pad into MaxPool of a possibly negative input, AveragePool with pads and count_include_pad = 0, ceil_mode, reflect, a pad as large as the kernel stay")
  func negative() throws {
    try expectDeclined(
      pass("fuse-pad-into-pool"),
      input: opset17 + """
        g (float[1, 2, 5, 5] X) => (float[1, 2, 5, 5] Y1, float[1, 2, 7, 7] Y2, float[1, 2, 6, 6] Y3, float[1, 2, 5, 5] Y4, float[1, 2, 9, 9] Y5) <int64[8] P = {0, 0, 1, 1, 0, 0, 1, 1}, int64[8] P3 = {0, 0, 3, 3, 0, 0, 3, 3}> {
          T1 = Pad(X, P)
          Y1 = MaxPool<kernel_shape = [3, 3]>(T1)
          T2 = Pad(X, P)
          Y2 = AveragePool<kernel_shape = [3, 3], pads = [1, 1, 1, 1]>(T2)
          R = Relu(X)
          T3 = Pad(R, P)
          Y3 = MaxPool<kernel_shape = [3, 3], strides = [2, 2], ceil_mode = 1>(T3)
          T4 = Pad<mode = "reflect">(R, P)
          Y4 = MaxPool<kernel_shape = [3, 3]>(T4)
          T5 = Pad(R, P3)
          Y5 = MaxPool<kernel_shape = [3, 3]>(T5)
        }
        """,
      reasons: ["not known to be non-negative", "count_include_pad = 0", "ceil_mode", "reflect", "as large as the kernel"])
  }
}
