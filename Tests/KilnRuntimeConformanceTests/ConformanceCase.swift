// One conformance case: a model and its test data sets, run and compared.

import Foundation
import KilnIR
import KilnONNX
import KilnRuntime

/// A model folder of the ONNX test data: `model.onnx` and `test_data_set_*/{input,output}_N.pb`.
struct ConformanceCase: Sendable {
  let suite: String
  let name: String
  let folder: String

  /// `suite/case`, as the expected-failures list names it.
  var key: String { "\(suite)/\(name)" }

  /// numpy.testing.assert_allclose's tolerances as the ONNX backend tests use them.
  static let relativeTolerance = 1e-3
  static let absoluteTolerance = 1e-7

  /// The element types the runtime has.
  static let runtimeTypes: Set<DataType> = [
    .float, .double, .float16, .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64,
    .bool,
  ]

  /// Runs every data set; errors are caught and reported as the outcome.
  func run() -> Outcome {
    do {
      let model = try ONNXModelReader.read(path: folder + "/model.onnx")
      let missing = Executor.unsupportedOps(model.graph, registry: .standard)
      if !missing.isEmpty { return .unsupported(missing, "no kernel for " + missing.joined(separator: ", ")) }
      if let why = unsupportedTypes(model.graph) { return .unsupported([], why) }
      let executor = try Executor(model: model)
      for dataSet in try dataSets() {
        if let outcome = try run(executor, dataSet: dataSet) { return outcome }
      }
      return .passed
    } catch {
      let message = "\(error)".replacingOccurrences(of: folder + "/", with: "")
      let typeMissing = ["not supported by the runtime", "runtime does not support"].contains {
        message.contains($0)
      }
      return typeMissing ? .unsupported([], message) : .failed(message)
    }
  }

  /// Why the graph's inputs or outputs cannot be runtime tensors, if they cannot.
  private func unsupportedTypes(_ graph: Graph) -> String? {
    for value in graph.inputs + graph.outputs {
      switch value.type {
      case .tensor(let dataType, _)? where !Self.runtimeTypes.contains(dataType):
        return "'\(value.name)' has element type \(dataType.name)"
      case .tensor?, nil:
        continue
      case let type?:
        return "'\(value.name)' is a \(type), not a tensor"
      }
    }
    return nil
  }

  private func dataSets() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder)
      .filter { $0.hasPrefix("test_data_set_") }.sorted().map { folder + "/" + $0 }
  }

  /// `prefix_0.pb`, `prefix_1.pb`, ... in `dataSet`, in order.
  private func numberedFiles(_ dataSet: String, prefix: String) -> [String] {
    var files: [String] = []
    while FileManager.default.fileExists(atPath: "\(dataSet)/\(prefix)_\(files.count).pb") {
      files.append("\(dataSet)/\(prefix)_\(files.count).pb")
    }
    return files
  }

  /// Runs one data set; nil when every output matches.
  private func run(_ executor: Executor, dataSet: String) throws -> Outcome? {
    let required = executor.requiredInputs
    var feeds: [String: HostTensor] = [:]
    for (index, file) in numberedFiles(dataSet, prefix: "input").enumerated() {
      let tensor = try ONNXTensorFile.read(path: file)
      guard Self.runtimeTypes.contains(tensor.dataType) else {
        return .unsupported([], "input has element type \(tensor.dataType.name)")
      }
      let name = required.contains { $0.name == tensor.name } || index >= required.count
        ? tensor.name : required[index].name
      feeds[name] = try HostTensor(tensor)
    }
    let outputs = try executor.run(feeds)
    let graphOutputs = executor.model.graph.outputs
    let expected = numberedFiles(dataSet, prefix: "output")
    guard expected.count == graphOutputs.count else {
      return .failed("\(expected.count) expected outputs for \(graphOutputs.count) graph outputs")
    }
    for (value, file) in zip(graphOutputs, expected) {
      let reference = try HostTensor(ONNXTensorFile.read(path: file))
      guard let actual = outputs[value.name] else { return .failed("output '\(value.name)' missing") }
      if let mismatch = Self.compare(actual, reference) {
        return .failed("output '\(value.name)': \(mismatch)")
      }
    }
    return nil
  }

  /// Why `actual` differs from `expected`, or nil: types and shapes equal, integers and
  /// Booleans exactly, floats within |a - e| <= atol + rtol * |e| with NaN equal to NaN.
  static func compare(_ actual: HostTensor, _ expected: HostTensor) -> String? {
    guard actual.dataType == expected.dataType else {
      return "type \(actual.dataType.name), expected \(expected.dataType.name)"
    }
    guard actual.shape == expected.shape else {
      return "shape \(actual.shape), expected \(expected.shape)"
    }
    guard actual.isFloatingPoint else {
      let bytes = Int(expected.dataType.byteCount(elements: Int64(expected.elementCount)) ?? 0)
      guard actual.buffer.byteCount >= bytes, expected.buffer.byteCount >= bytes, memcmp(actual.buffer.pointer, expected.buffer.pointer, bytes) == 0
      else { return "values differ" }
      return nil
    }
    let got = actual.doubleValues() ?? []
    let want = expected.doubleValues() ?? []
    var worst: (index: Int, excess: Double)?
    for index in want.indices where !close(got[index], want[index]) {
      let excess = abs(got[index] - want[index])
      if worst.map({ excess > $0.excess || excess.isNaN }) ?? true { worst = (index, excess) }
    }
    guard let worst else { return nil }
    return "element \(worst.index) is \(got[worst.index]), expected \(want[worst.index])"
  }

  private static func close(_ actual: Double, _ expected: Double) -> Bool {
    if actual.isNaN || expected.isNaN { return actual.isNaN && expected.isNaN }
    if actual == expected { return true }
    return abs(actual - expected) <= absoluteTolerance + relativeTolerance * abs(expected)
  }
}
