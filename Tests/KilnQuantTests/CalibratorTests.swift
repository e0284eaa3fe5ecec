// Calibration runs: shards merged equal one run byte for byte, whatever the thread count.

import Foundation
import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

@testable import KilnQuant

/// Seeded random samples for one input, held in memory.
private struct SeededSource: CalibrationSource {
  var count: Int
  var shape: [Int]

  func name(at index: Int) -> String { "sample-\(index)" }

  func sample(at index: Int) throws -> CalibrationSample {
    var generator = SplitMix64(seed: UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    return ["x": try HostTensor.random(.float, shape: shape, using: &generator)]
  }
}

/// `base`'s samples, except that those in `bad` cannot be read.
private struct FailingSource: CalibrationSource {
  var base: SeededSource
  var bad: Set<Int>

  var count: Int { base.count }

  func name(at index: Int) -> String { base.name(at: index) }

  func sample(at index: Int) throws -> CalibrationSample {
    if bad.contains(index) { throw KilnError.badInput("cannot be read") }
    return try base.sample(at: index)
  }
}

/// x → Conv → Relu → MatMul by a Constant node's output → y; w and the Constant are constants.
private func model() -> Model {
  let builder = GraphBuilder("calibrated")
  let x = builder.input("x", "float32[1,4,16,16]")
  var generator = SplitMix64(seed: 11)
  let weights = (0..<(8 * 4 * 9)).map { _ in Float.random(in: -1..<1, using: &generator) }
  let w = builder.constant("w", weights, dims: [8, 4, 3, 3])
  let convolved = builder.node("Conv", [x, w], outputs: ["c"], attributes: [Attribute("pads", .ints([1, 1, 1, 1]))])[0]
  let rectified = builder.op("Relu", convolved, output: "r")
  let matrix = builder.node(
    "Constant", [], outputs: ["k"],
    attributes: [Attribute("value", .tensor(floatTensor((0..<256).map { Float($0 % 7) - 3 }, dims: [16, 16])))])[0]
  builder.output(builder.op("MatMul", rectified, matrix, output: "y"))
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
}

private let source = SeededSource(count: 12, shape: [1, 4, 16, 16])

@Suite struct CalibratorTests {
  @Test func theFirstFailingSampleIsReportedWhateverTheThreadCount() throws {
    let failing = FailingSource(base: source, bad: [4, 9, 10])
    for threads in [1, 2, 4] {
      for _ in 0..<5 {
        #expect {
          try Calibrator(model: model(), threads: threads).run(failing)
        } throws: { error in
          (error as? KilnError)?.file == "sample-4"
        }
      }
    }
  }

  @Test func onlyTheComputedInputsOfConvAndMatMulAreMeasured() throws {
    let statistics = try Calibrator(model: model()).run(source, indices: [0, 1])
    #expect(statistics.tensors.keys.sorted() == ["r", "x"])
    #expect(statistics.sampleCount == 2)
    #expect(statistics.graphName == "calibrated" && statistics.inputNames == ["x"])
    #expect(statistics.tensors["x"]?.count == 2 * 1024)
    #expect(statistics.tensors["r"]?.minimum == 0)
  }

  @Test func theMeasuredTensorsHaveTheRangesOfAnUnfusedRunOfEveryTensor() throws {
    let measured = try Calibrator(model: model()).run(source, indices: [0, 1, 2])
    let executor = try Executor(model: model())
    var everything = CalibrationStatistics(graphName: "calibrated", inputNames: ["x"], binCount: measured.binCount)
    for index in 0..<3 {
      _ = try executor.run(source.sample(at: index)) { try everything.observe($0, $1) }
    }
    #expect(Set(everything.tensors.keys).isStrictSuperset(of: measured.tensors.keys))
    for method in [CalibrationMethod.minmax, .entropy] {
      #expect(measured.ranges(method) == everything.ranges(method).filter { measured.tensors[$0.key] != nil })
    }
  }

  @Test func threeShardsMergedGiveTheBytesOfOneRun() throws {
    let calibrator = try Calibrator(model: model())
    let whole = try calibrator.run(source).jsonData()
    try withTemporaryFolder { folder in
      var paths: [String] = []
      for index in 0..<3 {
        let shard = try ShardedSource(base: source, shard: Shard(index: index, count: 3))
        let path = folder.file("shard\(index).json")
        try calibrator.run(shard).write(to: path)
        paths.append(path)
      }
      #expect(try CalibrationStatistics.merge(paths: paths.reversed()).jsonData() == whole)
      let path = folder.file("whole.json")
      try calibrator.run(source).write(to: path)
      #expect(try fileBytes(path) == whole)
    }
  }

  @Test func theThreadCountDoesNotChangeTheBytes() throws {
    let one = try Calibrator(model: model(), threads: 1).run(source, indices: [3, 4, 5]).jsonData()
    let four = try Calibrator(model: model(), threads: 4).run(source, indices: [3, 4, 5]).jsonData()
    #expect(one == four)
  }

  @Test func progressIsToldAfterEachSample() throws {
    var seen: [String] = []
    _ = try Calibrator(model: model()).run(source, indices: [5, 2]) { seen.append("\($0.completed)/\($0.total) \($0.sampleName)") }
    #expect(seen == ["1/2 sample-5", "2/2 sample-2"])
  }

  @Test func aBadSampleIsNamed() throws {
    let wrong = SeededSource(count: 1, shape: [1, 4, 8, 8])
    #expect {
      _ = try Calibrator(model: model()).run(wrong)
    } throws: { error in
      (error as? KilnError)?.file == "sample-0" && (error as? KilnError)?.exitCode == 2
    }
  }
}
