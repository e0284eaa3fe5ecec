// Quantizing a model file: read, prepare with a pipeline, quantize to int8 or fp16, write.

import Foundation
import KilnIR
import KilnONNX
import KilnPasses
import KilnQuant

/// Options for `ModelQuantization.run`.
public struct QuantizationOptions {
  /// What to produce.
  public enum Mode {
    /// int8 QDQ with activation ranges from `ranges`.
    case int8(Int8QuantizationOptions, ranges: ActivationRanges)
    /// float16 weights and compute.
    case float16(Float16ConversionOptions)
  }

  public var mode: Mode
  /// The preparation pipeline run before quantizing (a name or a `.pipeline` path). The
  /// ranges must come from the model after this same pipeline.
  public var pipeline: String
  /// Where weights go.
  public var write: ONNXWriteOptions
  /// With `.int8`: measure each layer's error and keep the worst float32.
  public var sensitivity: SensitivityRequest?

  public init(
    mode: Mode, pipeline: String = ModelCalibration.preparePipeline, write: ONNXWriteOptions = .init(),
    sensitivity: SensitivityRequest? = nil
  ) {
    self.mode = mode
    self.pipeline = pipeline
    self.write = write
    self.sensitivity = sensitivity
  }
}

/// What `kiln quantize` did.
public struct QuantizationSummary: Sendable, Encodable {
  public var input: String
  public var output: String
  /// The input model file's size and the written one's.
  public var inputBytes: Int64
  public var outputBytes: Int64
  /// The preparation pipeline's name and how many of its passes changed the graph.
  public var pipeline: String
  public var passesThatChanged: Int
  public var int8: Int8QuantizationReport?
  public var float16: Float16ConversionReport?
  public var sensitivity: SensitivityReport?
  public var seconds: Double
}

/// `kiln quantize`: reads a model, prepares it with a pipeline, quantizes it, writes it.
public enum ModelQuantization {
  /// Quantizes `inputPath` into `outputPath`. Nothing is written when anything fails (but a
  /// sensitivity report when a `maxError` bound cannot be met).
  public static func run(input inputPath: String, output outputPath: String, options: QuantizationOptions) throws
    -> QuantizationSummary
  {
    let start = Date()
    let pipeline = try ModelConversion.pipeline(for: ConversionOptions(pipeline: options.pipeline))
    try ModelConversion.refuseOverwritingInput(input: inputPath, output: outputPath, inPlace: false)
    let model = try ModelFile(path: inputPath).read()
    var summary = QuantizationSummary(
      input: inputPath, output: outputPath, inputBytes: fileBytes(inputPath), outputBytes: 0, pipeline: pipeline.name,
      passesThatChanged: 0, seconds: 0)
    do {
      try Verifier.verify(model)
      summary.passesThatChanged = try ModelCalibration.run(pipeline, on: model).statistics.filter(\.changed).count
      switch options.mode {
      case .int8(var int8, let source):
        let ranges = try source.resolve(for: model)
        if let request = options.sensitivity {
          let report = try analyzeSensitivity(model, options: int8, ranges: ranges, request: request)
          int8.skipNodes.formUnion(report.keptFloat)
          summary.sensitivity = report
        }
        summary.int8 = try Int8Quantizer(options: int8).quantize(model, ranges: ranges)
        summary.int8?.markKeptFloat(summary.sensitivity?.keptFloat ?? [])
      case .float16(let float16):
        // fp16 reads element types: type every value the pipeline's passes made.
        _ = try ModelCalibration.run(Pipeline.list("infer-shapes"), on: model)
        summary.float16 = try Float16Converter(options: float16).convert(model)
      }
      try Verifier.verify(model)
    } catch let error as KilnError {
      throw error.inFile(inputPath)
    }
    // The report file is created first, so that an unwritable report path fails before the model is written.
    let reportFile = try summary.sensitivity.flatMap { _ in options.sensitivity?.reportPath }.map(AtomicOutputFile.init)
    summary.outputBytes = try ONNXModelWriter.write(model, to: outputPath, options: options.write).modelBytes
    if let reportFile, let report = summary.sensitivity { try report.write(to: reportFile) }
    summary.seconds = Date().timeIntervalSince(start)
    return summary
  }

  /// Reads a ranges file: `{"tensor": {"min": a, "max": b}, ...}`.
  public static func readRanges(path: String) throws -> [String: TensorRange] {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw KilnError.badInput("cannot read the ranges file", file: path)
    }
    let ranges: [String: TensorRange]
    do {
      ranges = try JSONDecoder().decode([String: TensorRange].self, from: data)
    } catch {
      throw KilnError.badInput(
        "not a ranges file", file: path, hint: #"expected {"tensor": {"min": -1.0, "max": 1.0}, ...}"#)
    }
    for (name, range) in ranges.sorted(by: { $0.key < $1.key }) {
      guard range.min.isFinite, range.max.isFinite, range.min <= range.max else {
        throw KilnError.badInput("the range of '\(name)' must be finite with min <= max", file: path)
      }
    }
    return ranges
  }

  private static func fileBytes(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
  }
}

extension QuantizationSummary {
  /// The summary `kiln quantize` prints.
  public var text: String {
    var lines = ["\(input) -> \(output) (pipeline \(pipeline), \(passesThatChanged) passes changed the graph)"]
    if let int8 {
      let skipped = int8.nodes.filter { !$0.quantized }
      lines.append(
        "int8: \(int8.quantizedCount) nodes quantized, \(skipped.count) skipped; weights \(int8.perChannel ? "per channel" : "per tensor")")
      for node in int8.nodes where node.reason != nil {
        lines.append("  \(node.name.isEmpty ? "(unnamed)" : node.name) (\(node.opType)): \(node.reason ?? "")")
      }
      lines += int8.notes.map { "  note: \($0)" }
      lines.append("weights: \(int8.weightBytesBefore) -> \(int8.weightBytesAfter) bytes")
    }
    if let sensitivity { lines += sensitivity.summaryLines }
    if let float16 {
      lines.append(
        "fp16: \(float16.convertedNodes) nodes in float16, \(float16.keptNodes.count) kept float32, \(float16.casts) casts")
      for node in float16.keptNodes { lines.append("  \(node.name.isEmpty ? "(unnamed)" : node.name) (\(node.opType)): \(node.reason)") }
      for change in float16.changedConstants {
        lines.append(
          "  \(change.name): \(change.clipped) values clipped to ±65504 (largest \(change.largestMagnitude)), \(change.flushed) tiny values flushed to 0")
      }
      lines.append("weights: \(float16.weightBytesBefore) -> \(float16.weightBytesAfter) bytes")
    }
    lines.append("file: \(inputBytes) -> \(outputBytes) bytes")
    return lines.joined(separator: "\n")
  }
}
