// Shared helpers for pass tests: models from ONNX text, golden comparisons through Kiln's
// printer, and numerical comparisons in KilnRuntime on seeded random inputs.

import Foundation
import KilnIR
import KilnONNX
import KilnPasses
import KilnRuntime
import Testing

/// A model parsed from ONNX's text syntax (libonnx's parser) and imported by KilnONNX.
func model(_ text: String) throws -> Model {
  try ONNXModelReader.read(bytes: LibONNX.parseText(text))
}

/// The header every test graph uses unless it needs other opsets.
let opset17 = #"<ir_version: 8, opset_import: ["" : 17]>"#

/// Runs `passes` once through a `PassManager` that verifies after every pass.
@discardableResult
func runPasses(_ passes: [any Pass], on model: Model) throws -> PipelineReport {
  try PassManager(pipeline: Pipeline(name: "test", passes: passes), verifyEachPass: true).run(on: model)
}

/// The standard pass `name` built with `options`.
func pass(_ name: String, _ options: [(name: String, value: String)] = []) throws -> any Pass {
  try PassRegistry.standard.makePass(name, options: options)
}

/// Golden test: runs `pass` on the model in `input` and expects the graph `expected` (both
/// ONNX text), compared as Kiln's printer prints them. Also checks that the pass reported a
/// change, and that a second run changes nothing (passes are idempotent).
func expectGolden(
  _ pass: any Pass, input: String, expected: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let subject = try model(input)
  let report = try runPasses([pass], on: subject)
  #expect(report.statistics.first?.changed == true, "the pass reported no change", sourceLocation: sourceLocation)
  let want = try model(expected)
  #expect(Printer.print(subject.graph) == Printer.print(want.graph), sourceLocation: sourceLocation)
  let again = try runPasses([pass], on: subject)
  #expect(again.statistics.first?.changed == false, "a second run changed the graph again", sourceLocation: sourceLocation)
}

/// Negative test: `pass` must leave the model in `input` exactly as it was.
func expectUnchanged(_ pass: any Pass, input: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let subject = try model(input)
  let before = Printer.print(subject.graph)
  let report = try runPasses([pass], on: subject)
  #expect(report.statistics.first?.changed == false, sourceLocation: sourceLocation)
  #expect(Printer.print(subject.graph) == before, sourceLocation: sourceLocation)
}

/// Numerical test: runs the model in `input` in KilnRuntime on seeded random inputs (shapes
/// from the declared types, or `shapes`) before and after `passes`, and expects every output
/// to agree within `tolerance` (absolute). Returns the largest difference seen.
@discardableResult
func expectSameNumbers(
  _ passes: [any Pass], input: String, tolerance: Double = 0, seed: UInt64 = 1,
  shapes: [String: [Int]] = [:], sourceLocation: SourceLocation = #_sourceLocation
) throws -> Double {
  let subject = try model(input)
  var generator = SplitMix64(seed: seed)
  var feeds: [String: HostTensor] = [:]
  for value in subject.graph.inputs where value.constant == nil {
    feeds[value.name] = try randomTensor(value, shape: shapes[value.name], &generator)
  }
  let before = try Executor(model: subject).run(feeds)
  try runPasses(passes, on: subject)
  let after = try Executor(model: subject).run(feeds)
  var worst = 0.0
  #expect(Set(before.keys) == Set(after.keys), sourceLocation: sourceLocation)
  for (name, expected) in before {
    guard let actual = after[name] else { continue }
    #expect(actual.shape == expected.shape, "output \(name)", sourceLocation: sourceLocation)
    guard let a = actual.doubleValues(), let b = expected.doubleValues(), a.count == b.count else {
      Issue.record("output \(name) cannot be compared", sourceLocation: sourceLocation)
      continue
    }
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
  }
  #expect(worst <= tolerance, "max abs error \(worst) > \(tolerance)", sourceLocation: sourceLocation)
  return worst
}

/// Random values for a graph input (see `HostTensor.random`), of its declared shape or `shape`.
func randomTensor(_ value: Value, shape: [Int]?, _ generator: inout SplitMix64) throws -> HostTensor {
  guard case .tensor(let dataType, let declared)? = value.type,
    let sizes = shape ?? declared?.staticSizes.map({ $0.map { Int($0) } })
  else { throw KilnError.badInput("give a shape for input '\(value.name)'") }
  return try HostTensor.random(dataType, shape: sizes, using: &generator)
}
