// Helpers for quantization tests: models from ONNX text, seeded inputs, ranges and comparisons.

import Foundation
import KilnIR
import KilnONNX
import KilnPasses
import KilnQuant
import KilnRuntime
import Testing

/// A model parsed from ONNX's text syntax and imported by KilnONNX.
func model(_ text: String) throws -> Model {
  try ONNXModelReader.read(bytes: LibONNX.parseText(text))
}

/// The graph as golden tests compare it: Kiln's printer without node names.
func printed(_ model: Model) -> String {
  Printer.print(model.graph, options: PrintOptions(showNodeNames: false))
}

/// Seeded random values in [-1, 1) for every float input of `model`, of its declared shape.
func randomFeeds(_ model: Model, seed: UInt64 = 1) throws -> [String: HostTensor] {
  var generator = SplitMix64(seed: seed)
  var feeds: [String: HostTensor] = [:]
  for value in model.graph.inputs where value.constant == nil {
    guard case .tensor(let type, let shape)? = value.type, let sizes = shape?.staticSizes else {
      throw KilnError.badInput("input '\(value.name)' needs a static shape")
    }
    feeds[value.name] = try HostTensor.random(type, shape: sizes.map { Int($0) }, using: &generator)
  }
  return feeds
}

/// The min and max that each tensor in `names` takes when the model in `text` runs on `feeds`.
func observedRanges(_ text: String, _ names: [String], feeds: [String: HostTensor]) throws -> [String: TensorRange] {
  try tensorRanges(model(text), samples: FeedSource(samples: [feeds])).filter { names.contains($0.key) }
}

/// The min and max of every float tensor (graph inputs and node outputs of the main graph)
/// when `subject` runs on every sample of `samples`: the ranges a min-max calibration gives,
/// for tests until calibration exists. `subject` is not changed.
func tensorRanges(_ subject: Model, samples: any CalibrationSource) throws -> [String: TensorRange] {
  let observed = subject.copy()
  let produced = observed.graph.nodes.flatMap { $0.outputs.compactMap { $0 } }
  let shown = Set(observed.graph.outputs.map(ObjectIdentifier.init))
  observed.graph.outputs += produced.filter { !shown.contains(ObjectIdentifier($0)) }
  let executor = try Executor(model: observed)
  var ranges: [String: TensorRange] = [:]
  for index in 0..<samples.count {
    let sample = try samples.sample(at: index)
    for (name, tensor) in try executor.run(sample).merging(sample, uniquingKeysWith: { first, _ in first })
    where tensor.isFloatingPoint {
      let numbers = try #require(tensor.doubleValues())
      let range = TensorRange(min: Float(numbers.min() ?? 0), max: Float(numbers.max() ?? 0))
      ranges[name] = ranges[name].map { $0.union(range) } ?? range
    }
  }
  return ranges
}

/// Samples held in memory, named s0, s1, ...
struct FeedSource: CalibrationSource {
  let samples: [CalibrationSample]
  var count: Int { samples.count }
  func name(at index: Int) -> String { "s\(index)" }
  func sample(at index: Int) throws -> CalibrationSample { samples[index] }
}

/// The largest |a − b| over every output, relative to the largest |a| of that output.
func worstRelativeError(_ expected: [String: HostTensor], _ actual: [String: HostTensor]) throws -> Double {
  var worst = 0.0
  for (name, tensor) in expected {
    let a = try #require(tensor.doubleValues()), b = try #require(actual[name]?.doubleValues())
    #expect(a.count == b.count)
    let scale = max(a.map(abs).max() ?? 0, 1e-12)
    worst = max(worst, (zip(a, b).map { abs($0 - $1) }.max() ?? 0) / scale)
  }
  return worst
}

/// Checks `model` with ONNX's checker (libonnx) after writing it out.
func expectValidONNX(_ model: Model, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let bytes = try ONNXModelWriter.serialize(model)
  let findings = try LibONNX.check(modelBytes: bytes, fullCheck: true)
  #expect(findings.isEmpty, "checker: \(findings)", sourceLocation: sourceLocation)
  // The written model reads back and runs.
  _ = try ONNXModelReader.read(bytes: bytes)
}
