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
  let subject = try model(text)
  let values = subject.graph.inputs + subject.graph.nodes.flatMap { $0.outputs.compactMap { $0 } }
  subject.graph.outputs += names.compactMap { name in values.first { $0.name == name } }
  let outputs = try Executor(model: subject).run(feeds)
  var ranges: [String: TensorRange] = [:]
  for name in names {
    let numbers = try #require(outputs[name]?.doubleValues())
    ranges[name] = TensorRange(min: Float(numbers.min() ?? 0), max: Float(numbers.max() ?? 0))
  }
  return ranges
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
