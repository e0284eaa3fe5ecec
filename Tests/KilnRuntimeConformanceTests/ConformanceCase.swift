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

  /// Why the graph's inputs or outputs cannot be runtime values, if they cannot.
  private func unsupportedTypes(_ graph: Graph) -> String? {
    for value in graph.inputs + graph.outputs {
      if let why = Self.unsupported(value.type) { return "'\(value.name)' \(why)" }
    }
    return nil
  }

  /// Why values of `type` cannot be runtime values: tensors of a runtime element type,
  /// sequences of such tensors, and optionals of either can.
  private static func unsupported(_ type: ValueType?) -> String? {
    switch type {
    case .tensor(let dataType, _)? where !runtimeTypes.contains(dataType):
      return "has element type \(dataType.name)"
    case .tensor?, nil:
      return nil
    case .sequence(let element?)? where element.tensor != nil:
      return unsupported(element)
    case .optional(let element?)? where element.tensor != nil:
      return unsupported(element)
    case .optional(.sequence(let element?)?)? where element.tensor != nil:
      return unsupported(element)
    case let type?:
      return "is a \(type), which the runtime does not have"
    }
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
    var feeds: [String: RuntimeValue] = [:]
    for (index, file) in numberedFiles(dataSet, prefix: "input").enumerated() {
      let declared = index < required.count ? required[index] : nil
      let data = try ONNXValueFile.read(path: file, type: declared?.type)
      var name = declared?.name ?? ""
      if case .tensor(let tensor) = data, declared == nil || required.contains(where: { $0.name == tensor.name }) {
        name = tensor.name
      }
      switch try Self.runtimeValue(data) {
      case .success(let value): feeds[name] = value
      case .failure(let unsupported): return .unsupported([], unsupported.why)
      }
    }
    let outputs = try executor.run(values: feeds)
    let graphOutputs = executor.model.graph.outputs
    let expected = numberedFiles(dataSet, prefix: "output")
    guard expected.count == graphOutputs.count else {
      return .failed("\(expected.count) expected outputs for \(graphOutputs.count) graph outputs")
    }
    for (value, file) in zip(graphOutputs, expected) {
      guard case .success(let reference) = try Self.runtimeValue(ONNXValueFile.read(path: file, type: value.type))
      else { return .unsupported([], "output '\(value.name)' has a type the runtime lacks") }
      guard let actual = outputs[value.name] else { return .failed("output '\(value.name)' missing") }
      if let mismatch = Self.compare(actual, reference) {
        return .failed("output '\(value.name)': \(mismatch)")
      }
    }
    return nil
  }

  /// Why a value read from a data file cannot be a runtime value, as an error in a result.
  struct Unsupported: Error {
    let why: String
  }

  /// `data` as a runtime value, or why it cannot be one (an element type the runtime lacks,
  /// a sequence of non-tensors).
  static func runtimeValue(_ data: ONNXDataValue) throws -> Result<RuntimeValue, Unsupported> {
    switch data {
    case .tensor(let tensor):
      guard runtimeTypes.contains(tensor.dataType) else {
        return .failure(Unsupported(why: "a data file has element type \(tensor.dataType.name)"))
      }
      return .success(.tensor(try HostTensor(tensor)))
    case .sequence(let elements):
      var tensors: [HostTensor] = []
      for element in elements {
        guard case .success(.tensor(let tensor)) = try runtimeValue(element) else {
          return .failure(Unsupported(why: "a data file has a sequence of non-tensors"))
        }
        tensors.append(tensor)
      }
      return .success(.sequence(tensors))
    case .optional(nil):
      return .success(.optional(nil))
    case .optional(let element?):
      return try runtimeValue(element).map { .optional($0) }
    }
  }

  /// Why `actual` differs from `expected`, or nil: the same kind of value, sequences of equal
  /// length with each tensor matching, optionals both empty or with matching values.
  static func compare(_ actual: RuntimeValue, _ expected: RuntimeValue) -> String? {
    switch (actual, expected) {
    case (.tensor(let got), .tensor(let want)):
      return compare(got, want)
    case (.sequence(let got), .sequence(let want)):
      guard got.count == want.count else { return "sequence of \(got.count), expected \(want.count)" }
      for (index, (element, reference)) in zip(got, want).enumerated() {
        if let mismatch = compare(element, reference) { return "sequence element \(index): \(mismatch)" }
      }
      return nil
    case (.optional(nil), .optional(nil)):
      return nil
    case (.optional(let got?), .optional(let want?)):
      return compare(got, want).map { "optional value: " + $0 }
    case (.optional(nil), .optional):
      return "empty optional, expected one with a value"
    case (.optional, .optional):
      return "optional with a value, expected an empty one"
    default:
      return "\(actual.kindDescription), expected \(expected.kindDescription)"
    }
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
