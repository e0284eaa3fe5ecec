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

  public init(pipeline: String = "none", write: ONNXWriteOptions = .init(), inPlace: Bool = false) {
    self.pipeline = pipeline
    self.write = write
    self.inPlace = inPlace
  }
}

/// The result of a conversion.
public struct ConversionReport: Sendable {
  public var input: ModelSummary
  public var output: ONNXWriteSummary
  public var seconds: Double
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
    return ConversionReport(input: summary, output: written, seconds: Date().timeIntervalSince(start))
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
