// Converting a model file: read, run a pipeline, verify, write.

import Foundation
import KilnIR
import KilnONNX

/// Options for `ModelConversion.run`.
public struct ConversionOptions: Sendable {
  /// The pass pipeline to run; only `none` exists until passes land.
  public var pipeline: String
  /// Where weights go.
  public var write: ONNXWriteOptions
  /// Allow the output to replace the input file.
  public var inPlace: Bool
  /// Run ONNX's checker (libonnx) on the written model and report what it finds.
  public var check: Bool

  public init(
    pipeline: String = "none", write: ONNXWriteOptions = .init(), inPlace: Bool = false,
    check: Bool = false
  ) {
    self.pipeline = pipeline
    self.write = write
    self.inPlace = inPlace
    self.check = check
  }
}

/// The result of a conversion.
public struct ConversionReport: Sendable {
  public var input: ModelSummary
  public var output: ONNXWriteSummary
  public var seconds: Double
  /// What ONNX's checker said about the output, when asked: warnings about what libonnx 1.12
  /// cannot check in newer models, and any problem it found. Advisory only.
  public var checkerFindings: [String]
}

/// `kiln convert`: reads a model, runs a pipeline of passes over it, and writes it.
public enum ModelConversion {
  /// The pipelines that exist today.
  public static let pipelines = ["none"]

  /// Converts `inputPath` into `outputPath`.
  public static func run(input inputPath: String, output outputPath: String, options: ConversionOptions)
    throws -> ConversionReport
  {
    let start = Date()
    guard pipelines.contains(options.pipeline) else {
      throw KilnError(
        .usage, "unknown pipeline '\(options.pipeline)'",
        hint: "available pipelines: \(pipelines.joined(separator: ", "))")
    }
    try refuseOverwritingInput(input: inputPath, output: outputPath, inPlace: options.inPlace)
    let model = try ONNXModelReader.read(path: inputPath)
    do {
      try Verifier.verify(model)
    } catch let error as KilnError {
      throw error.inFile(inputPath)
    }
    let summary = ModelSummary(model: model, file: inputPath)
    let written = try ONNXModelWriter.write(model, to: outputPath, options: options.write)
    let findings = options.check ? checkerFindings(outputPath) : []
    return ConversionReport(
      input: summary, output: written, seconds: Date().timeIntervalSince(start),
      checkerFindings: findings)
  }

  /// ONNX's checker is advisory: libonnx 1.12 trails the ONNX releases Kiln reads, so what it
  /// reports is shown to the user but never fails the conversion.
  private static func checkerFindings(_ path: String) -> [String] {
    do {
      return try LibONNX.check(modelAt: path)
    } catch let error as KilnError {
      return ["the checker reports a problem: \(error.message)"]
    } catch {
      return ["the checker failed: \(error)"]
    }
  }

  private static func refuseOverwritingInput(input: String, output: String, inPlace: Bool) throws {
    guard !inPlace else { return }
    let inputPath = URL(fileURLWithPath: input).resolvingSymlinksInPath().path
    let outputPath = URL(fileURLWithPath: output).resolvingSymlinksInPath().path
    guard inputPath != outputPath else {
      throw KilnError(
        .usage, "the output would overwrite the input model", file: output,
        hint: "choose another output path, or pass --in-place")
    }
  }
}
