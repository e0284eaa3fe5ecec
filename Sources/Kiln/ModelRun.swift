// Running a model on given or random inputs: timing it, summarizing and saving its outputs.

import Foundation
import KilnIR
import KilnONNX
import KilnRuntime

/// What `kiln run` was asked to do.
public struct ModelRunRequest: Sendable {
  /// Input files by input name: `.npy`, or `.pb` (a serialized TensorProto).
  public var inputFiles: [String: String] = [:]
  /// Whether inputs without a file get seeded random values.
  public var random = false
  /// The seed of the random inputs.
  public var seed: UInt64 = 0
  /// Shapes for random inputs, by input name; needed where the model's dims are not fixed.
  public var shapes: [String: [Int]] = [:]
  public var threads = 1
  /// Timed runs, after one warm-up run.
  public var repeats = 1
  /// Where the outputs are written as NAME.npy, if anywhere.
  public var outputFolder: String?

  public init() {}
}

/// The summary of one output.
public struct OutputSummary: Codable, Sendable, Equatable {
  public var name: String
  public var dataType: String
  public var shape: [Int]
  public var min: Double?
  public var max: Double?
  public var mean: Double?
  /// The file it was written to, if any.
  public var file: String?
}

/// What a run produced: each output's summary and the latency over the timed runs.
public struct ModelRunReport: Codable, Sendable {
  public var outputs: [OutputSummary]
  public var runs: Int
  public var medianMilliseconds: Double
  public var p90Milliseconds: Double
}

/// `kiln run`: reads a model, checks the runtime can run it, binds inputs, runs and reports.
public enum ModelRun {
  public static func run(path: String, weights: String? = nil, request: ModelRunRequest) throws -> ModelRunReport {
    let model = try ModelFile(path: path, weights: weights).read()
    let executor = try Executor(model: model, options: ExecutionOptions(threads: request.threads))
    let feeds = try inputs(for: executor, request: request)
    var outputs = try executor.run(feeds)
    var times: [Double] = []
    for _ in 0..<max(1, request.repeats) {
      let start = ContinuousClock.now
      outputs = try executor.run(feeds)
      times.append(milliseconds(ContinuousClock.now - start))
    }
    if let folder = request.outputFolder {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    let summaries = try model.graph.outputs.compactMap { value -> OutputSummary? in
      guard let tensor = outputs[value.name] else { return nil }
      return try summarize(value.name, tensor, folder: request.outputFolder)
    }
    times.sort()
    return ModelRunReport(
      outputs: summaries, runs: times.count, medianMilliseconds: percentile(times, 0.5),
      p90Milliseconds: percentile(times, 0.9))
  }

  // MARK: Inputs

  static func inputs(for executor: Executor, request: ModelRunRequest) throws -> [String: HostTensor] {
    let required = executor.requiredInputs
    let names = Set(executor.model.graph.inputs.map(\.name))
    for name in Array(request.inputFiles.keys) + Array(request.shapes.keys) where !names.contains(name) {
      throw KilnError.badInput(
        "the model has no input named '\(name)'",
        hint: "inputs: \(required.map(\.name).joined(separator: ", "))")
    }
    if let name = request.shapes.keys.sorted().first(where: { request.inputFiles[$0] != nil }) {
      throw KilnError.badInput("--shape is for random inputs, but '\(name)' is read from a file")
    }
    var feeds: [String: HostTensor] = [:]
    for (name, file) in request.inputFiles { feeds[name] = try readInput(file) }
    var generator = SplitMix64(seed: request.seed)
    for value in required where feeds[value.name] == nil {
      guard request.random else {
        throw KilnError.badInput(
          "input '\(value.name)' was not given", hint: "pass --input \(value.name)=FILE, or --random")
      }
      feeds[value.name] = try randomInput(value, shape: request.shapes[value.name], generator: &generator)
    }
    return feeds
  }

  /// Reads an input tensor from a `.npy` or `.pb` file.
  static func readInput(_ file: String) throws -> HostTensor {
    if file.hasSuffix(".npy") { return try NPYFile.read(path: file) }
    if file.hasSuffix(".pb") {
      let tensor = try ONNXTensorFile.read(path: file)
      do {
        return try HostTensor(tensor)
      } catch let error as KilnError {
        throw error.inFile(file)
      }
    }
    throw KilnError.badInput("input files must be .npy or .pb (a serialized TensorProto)", file: file)
  }

  static func randomInput(_ value: Value, shape: [Int]?, generator: inout SplitMix64) throws -> HostTensor {
    guard case .tensor(let dataType, let declared)? = value.type else {
      throw KilnError.badInput("input '\(value.name)' is not a tensor; random values cannot be made for it")
    }
    let sizes = try shape ?? staticShape(value.name, declared)
    return try HostTensor.random(dataType, shape: sizes, using: &generator)
  }

  private static func staticShape(_ name: String, _ shape: Shape?) throws -> [Int] {
    guard let shape, let sizes = shape.staticSizes else {
      throw KilnError.badInput(
        "input '\(name)' has shape \(shape?.description ?? "of unknown rank"), which is not fixed",
        hint: "give its shape with --shape \(name)=DIMS, e.g. 1x3x224x224")
    }
    return sizes.map { Int($0) }
  }


  // MARK: Outputs

  private static func summarize(_ name: String, _ tensor: HostTensor, folder: String?) throws -> OutputSummary {
    let values = tensor.doubleValues() ?? []
    var summary = OutputSummary(
      name: name, dataType: tensor.dataType.name, shape: tensor.shape,
      min: values.min(), max: values.max(),
      mean: values.isEmpty ? nil : values.reduce(0, +) / Double(values.count))
    if let folder {
      let file = URL(fileURLWithPath: folder).appendingPathComponent(fileName(for: name)).path
      try NPYFile.write(tensor, to: file)
      summary.file = file
    }
    return summary
  }

  /// `NAME.npy`, with characters that do not belong in a file name replaced by `_`.
  static func fileName(for name: String) -> String {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    let cleaned = String(name.map { allowed.contains($0) ? $0 : "_" })
    return (cleaned.isEmpty || cleaned.hasPrefix(".") ? "_" + cleaned : cleaned) + ".npy"
  }

  private static func milliseconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
  }

  /// The value at fraction `p` of sorted `values` (nearest rank).
  private static func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let rank = Int((p * Double(values.count)).rounded(.up)) - 1
    return values[min(max(rank, 0), values.count - 1)]
  }
}
