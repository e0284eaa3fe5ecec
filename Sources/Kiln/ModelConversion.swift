// Converting a model file: read, run a pipeline, verify, write.

import Foundation
import KilnIR
import KilnONNX
import KilnPasses

/// Options for `ModelConversion.run`.
public struct ConversionOptions: Sendable {
  /// The pipeline to run: a name from the pipeline folders (`default`, `none`) or a path to a
  /// `.pipeline` file. Ignored when `passes` is set.
  public var pipeline: String
  /// A comma-separated list of passes to run instead of a pipeline (`--passes a,b,c`).
  public var passes: String?
  /// Run the IR verifier after every pass (always on in debug builds).
  public var verifyEachPass: Bool
  /// Where weights go.
  public var write: ONNXWriteOptions
  /// Allow the output to replace the input file.
  public var inPlace: Bool
  /// Run ONNX's checker (libonnx) on the written model and report what it finds.
  public var check: Bool

  public init(
    pipeline: String = "default", passes: String? = nil, verifyEachPass: Bool = PassManager.verifiesByDefault,
    write: ONNXWriteOptions = .init(), inPlace: Bool = false, check: Bool = false
  ) {
    self.pipeline = pipeline
    self.passes = passes
    self.verifyEachPass = verifyEachPass
    self.write = write
    self.inPlace = inPlace
    self.check = check
  }
}

/// The result of a conversion.
public struct ConversionReport: Sendable {
  public var input: ModelSummary
  /// The graph after the pipeline, summarized like the input.
  public var result: ModelSummary
  /// What each pass did, and the notes they left.
  public var pipeline: PipelineReport
  public var output: ONNXWriteSummary
  public var seconds: Double
  /// What ONNX's checker said about the output, when asked: warnings about what libonnx 1.12
  /// cannot check in newer models, and any problem it found. Advisory only.
  public var checkerFindings: [String]
}

/// `kiln convert`: reads a model, runs a pipeline of passes over it, and writes it.
public enum ModelConversion {
  /// The folders searched for named pipelines, first match wins: those in `$KILN_PIPELINES`
  /// (colon-separated), `share/kiln/passes` beside an installed `kiln`, and the `passes/`
  /// folder of the source tree Kiln was built from.
  public static var pipelineFolders: [String] {
    var folders: [String] = []
    if let list = ProcessInfo.processInfo.environment["KILN_PIPELINES"] {
      folders += list.split(separator: ":").map(String.init)
    }
    let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
    folders.append(
      executable.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("share/kiln/passes").path)
    let sourceRoot = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    folders.append(sourceRoot.appendingPathComponent("passes").path)
    return folders
  }

  /// The pipeline `options` ask for: `--passes` when given, else the named or given pipeline.
  public static func pipeline(for options: ConversionOptions) throws -> Pipeline {
    if let passes = options.passes { return try Pipeline.list(passes) }
    return try Pipeline.load(options.pipeline, searching: pipelineFolders)
  }

  /// Converts `inputPath` into `outputPath`.
  public static func run(input inputPath: String, output outputPath: String, options: ConversionOptions)
    throws -> ConversionReport
  {
    let start = Date()
    let pipeline = try pipeline(for: options)
    try refuseOverwritingInput(input: inputPath, output: outputPath, inPlace: options.inPlace)
    let model = try ONNXModelReader.read(path: inputPath)
    do {
      try Verifier.verify(model)
    } catch let error as KilnError {
      throw error.inFile(inputPath)
    }
    let summary = ModelSummary(model: model, file: inputPath)
    let manager = PassManager(pipeline: pipeline, verifyEachPass: options.verifyEachPass)
    let report: PipelineReport
    do {
      report = try manager.run(on: model, context: PassContext(model: model, shapeInference: LibONNXShapeInference()))
    } catch let error as KilnError {
      throw error.inFile(inputPath)
    }
    let result = ModelSummary(model: model, file: outputPath)
    let written = try ONNXModelWriter.write(model, to: outputPath, options: options.write)
    let findings = options.check ? checkerFindings(outputPath) : []
    return ConversionReport(
      input: summary, result: result, pipeline: report, output: written,
      seconds: Date().timeIntervalSince(start), checkerFindings: findings)
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
