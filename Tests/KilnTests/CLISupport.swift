// Helpers for the CLI tests: finding and running the built `kiln` binary, a small model, and
// bad model files.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import ONNXProto
import ONNXTestSupport
import Testing

// MARK: - Running kiln

/// What one run of `kiln` did.
struct KilnRun: CustomStringConvertible {
  var status: Int32
  var stdout: String
  var stderr: String

  /// The non-empty lines of standard error.
  var errorLines: [String] { stderr.split(separator: "\n").map(String.init) }

  var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// The `kiln` executable: `$KILN` when set, else the one built beside this test bundle, else
/// one in a build folder of the package.
let kilnExecutable: String? = {
  let manager = FileManager.default
  if let path = ProcessInfo.processInfo.environment["KILN"], manager.isExecutableFile(atPath: path) {
    return path
  }
  var candidates: [URL] = []
  if let runner = Bundle.main.executableURL {
    candidates.append(runner.deletingLastPathComponent().appendingPathComponent("kiln"))
  }
  candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kiln"))
  let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  for folder in [".build-tests", ".build"] {
    candidates.append(packageRoot.appendingPathComponent("\(folder)/debug/kiln"))
  }
  return candidates.map(\.path).first { manager.isExecutableFile(atPath: $0) }
}()

/// Runs `kiln` with `arguments` in `directory` and waits for it.
func kiln(_ arguments: String..., in directory: String? = nil) throws -> KilnRun {
  try kiln(arguments, in: directory)
}

func kiln(_ arguments: [String], in directory: String? = nil) throws -> KilnRun {
  let executable = try #require(kilnExecutable, "the kiln binary was not found; build it or set KILN")
  let scratch = FileManager.default.temporaryDirectory
    .appendingPathComponent("kiln-run-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: scratch) }
  let outURL = scratch.appendingPathComponent("stdout")
  let errURL = scratch.appendingPathComponent("stderr")
  _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
  _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
  let out = try FileHandle(forWritingTo: outURL)
  let err = try FileHandle(forWritingTo: errURL)
  defer {
    try? out.close()
    try? err.close()
  }

  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
  process.standardInput = FileHandle.nullDevice
  process.standardOutput = out
  process.standardError = err
  try process.run()
  process.waitUntilExit()
  return KilnRun(
    status: process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus,
    stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
    stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// Expects `run` to be a clean failure with exit 2: nothing on standard output, and one line
/// on standard error that starts with `error:`, names every string in `naming`, and has no
/// trace of a crash.
func expectCleanFailure(
  _ run: KilnRun, naming: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
  let crashed = ["Fatal error", "Stack dump", "Backtrac", "Program crashed", "Swift runtime failure"]
    .contains { run.stderr.contains($0) }
  guard run.status == 2, !crashed else {
    Issue.record("expected exit 2 and one error line, got \(run)", sourceLocation: sourceLocation)
    return
  }
  #expect(run.stdout.isEmpty, "\(run)", sourceLocation: sourceLocation)
  #expect(run.errorLines.count == 1, "\(run)", sourceLocation: sourceLocation)
  let line = run.errorLines.first ?? ""
  #expect(line.hasPrefix("error: "), "\(run)", sourceLocation: sourceLocation)
  for text in naming {
    #expect(line.contains(text), "stderr should name '\(text)': \(run)", sourceLocation: sourceLocation)
  }
}

// MARK: - Models

/// A small valid model: `Y[N,2] = MatMul(X[N,3], W[3,2])`, then `Z = Relu(Y)`, with a
/// symbolic batch dim, a 6-element weight, an optional larger weight, and metadata.
func smallModel(extraWeightElements: Int = 0) -> Model {
  let graph = Graph(name: "small")
  let x = Value(name: "X", type: .tensor(.float, Shape([.symbolic("N"), .fixed(3)])))
  graph.inputs = [x]
  let w = Value(
    name: "W",
    constant: Tensor(
      name: "W", dataType: .float, dims: [3, 2], bytes: littleEndianBytes([Float(1), 2, 3, 4, 5, 6])))
  graph.initializers = [w]
  let y = Value(name: "Y", type: .tensor(.float, Shape([.symbolic("N"), .fixed(2)])))
  graph.append(Node(name: "matmul", opType: "MatMul", inputs: [x, w], outputs: [y]))
  let z = Value(name: "Z", type: .tensor(.float, Shape([.symbolic("N"), .fixed(2)])))
  graph.append(Node(name: "relu", opType: "Relu", inputs: [y], outputs: [z]))
  graph.outputs = [z]
  if extraWeightElements > 0 {
    let big = Value(
      name: "B",
      constant: Tensor(
        name: "B", dataType: .float, dims: [Int64(extraWeightElements)],
        bytes: littleEndianBytes((0..<extraWeightElements).map { Float($0) })))
    graph.initializers.append(big)
    let copy = Value(name: "B_out")
    graph.append(Node(name: "copy", opType: "Identity", inputs: [big], outputs: [copy]))
    graph.outputs.append(copy)
  }
  return Model(
    irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)],
    producerName: "kiln-tests", producerVersion: "1.0", graph: graph,
  ).withMetadata([MetadataEntry(key: "author", value: "kiln-tests")])
}

extension Model {
  func withMetadata(_ entries: [MetadataEntry]) -> Model {
    metadata = entries
    return self
  }
}

/// Writes `smallModel` to `path`.
@discardableResult
func writeSmallModel(
  _ path: String, extraWeightElements: Int = 0, options: ONNXWriteOptions = .init()
) throws -> String {
  try ONNXModelWriter.write(smallModel(extraWeightElements: extraWeightElements), to: path, options: options)
  return path
}

// MARK: - Bad model files

/// Every kind of file `kiln` must refuse as bad input.
enum BadInput: String, CaseIterable, CustomTestStringConvertible, Sendable {
  case empty, randomBytes, truncatedModel, tensorProto, nodeProto, missingPath, directory
  case shortRawData, overflowingDims, overflowingDimsOfUnknownType
  case absoluteLocation, dotDotLocation, nestedDotDotLocation, symlinkOutside, missingData
  case truncatedData

  var testDescription: String { rawValue }

  /// Creates the bad model in `folder/models/` and returns its path and the text the error
  /// must name besides the path (the external-data location, where there is one).
  func make(in folder: TemporaryFolder) throws -> (path: String, names: [String]) {
    let models = try folder.folder("models")
    _ = try folder.folder("models/sub")
    let outside = folder.file("outside.bin")
    try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: outside))
    try Data(repeating: 7, count: 32).write(to: URL(fileURLWithPath: models + "/short.bin"))
    let path = models + "/\(rawValue).onnx"
    func write(_ data: Data) throws { try data.write(to: URL(fileURLWithPath: path)) }
    func writeModel(_ initializer: Onnx_TensorProto) throws {
      try writeMessage(modelProto(initializers: [initializer]), to: path)
    }
    /// Writes a model whose weight is at `location`, which the error must name.
    func external(
      _ location: String, offset: Int64? = nil, length: Int64? = nil
    ) throws -> (path: String, names: [String]) {
      try writeModel(externalTensorProto("w", count: 16, location: location, offset: offset, length: length))
      return (path, [location])
    }
    switch self {
    case .empty:
      try write(Data())
    case .randomBytes:
      // Deterministic noise (a linear congruential sequence), so failures reproduce.
      var state: UInt64 = 12345
      try write(
        Data((0..<2048).map { _ in
          state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          return UInt8(truncatingIfNeeded: state >> 56)
        }))
    case .truncatedModel:
      let full = try ONNXModelWriter.serialize(smallModel(extraWeightElements: 100))
      try write(full.prefix(full.count / 2))
    case .tensorProto:
      let tensor = Onnx_TensorProto(
        name: "w", dataType: .float, dims: [2], rawData: littleEndianBytes([Float(1), 2]))
      try writeMessage(tensor, to: path)
    case .nodeProto:
      try writeMessage(Onnx_NodeProto(opType: "Relu", inputs: ["X"], outputs: ["Y"]), to: path)
    case .missingPath:
      break
    case .directory:
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    case .shortRawData:
      try writeModel(Onnx_TensorProto(name: "w", dataType: .float, dims: [16], rawData: Data(count: 12)))
      return (path, ["'w'"])
    case .overflowingDims:
      try writeModel(
        Onnx_TensorProto(name: "w", dataType: .float, dims: [1 << 40, 1 << 40, 1 << 40], rawData: Data(count: 12)))
      return (path, ["'w'"])
    case .overflowingDimsOfUnknownType:
      try writeModel(Onnx_TensorProto(name: "w", dataType: DataType(rawValue: 99), dims: [1 << 40, 1 << 40]))
      return (path, ["'w'"])
    case .absoluteLocation:
      return try external(outside)
    case .dotDotLocation:
      return try external("../outside.bin")
    case .nestedDotDotLocation:
      return try external("sub/../../outside.bin")
    case .symlinkOutside:
      try FileManager.default.createSymbolicLink(
        atPath: models + "/link.bin", withDestinationPath: outside)
      return try external("link.bin")
    case .missingData:
      return try external("missing.bin")
    case .truncatedData:
      return try external("short.bin", offset: 0, length: 64)
    }
    return (path, [])
  }
}
