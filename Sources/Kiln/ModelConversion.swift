// Converting a model file: read, run a pipeline, verify, write.

import Foundation
import KilnIR
import KilnONNX
import KilnPasses
import KilnQuant
import KilnTargets

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
  /// Static shapes for graph inputs, by name (`--input-shape`), fixed before the passes run.
  public var inputShapes: [String: [Int64]]
  /// Check the numbers of the result against the original (`--verify`, `--verify-each`);
  /// nil for no check.
  public var verification: VerificationOptions?
  /// The passes pipelines may name.
  public var registry: PassRegistry
  /// The weights file of a Caffe or Darknet model (`--weights`); nil for other formats.
  public var weights: String?
  /// The format to write (`--target`): a name from `Targets.all`.
  public var target: String
  /// Store weights as float16 where the target allows (`--fp16-weights`).
  public var float16Weights: Bool
  /// A `kiln calibrate` statistics file for the target's int8 output (`--int8 --stats`).
  public var int8Statistics: String?

  public init(
    pipeline: String = "default", passes: String? = nil, verifyEachPass: Bool = PassManager.verifiesByDefault,
    write: ONNXWriteOptions = .init(), inPlace: Bool = false, check: Bool = false,
    inputShapes: [String: [Int64]] = [:], verification: VerificationOptions? = nil,
    registry: PassRegistry = .standard, weights: String? = nil, target: String = "onnx",
    float16Weights: Bool = false, int8Statistics: String? = nil
  ) {
    self.pipeline = pipeline
    self.passes = passes
    self.verifyEachPass = verifyEachPass
    self.write = write
    self.inPlace = inPlace
    self.check = check
    self.inputShapes = inputShapes
    self.verification = verification
    self.registry = registry
    self.weights = weights
    self.target = target
    self.float16Weights = float16Weights
    self.int8Statistics = int8Statistics
  }
}

/// The result of a conversion.
public struct ConversionReport: Sendable {
  public var input: ModelSummary
  /// The input's size: the model file and its external-data files.
  public var inputBytes: Int64
  /// The graph after the pipeline, summarized like the input.
  public var result: ModelSummary
  /// What each pass did, and the notes they left.
  public var pipeline: PipelineReport
  /// The pipeline's name (`default`, a path, or `--passes`).
  public var pipelineName: String
  /// What was written as ONNX; nil for another target, and when verification failed and
  /// nothing was.
  public var output: ONNXWriteSummary?
  /// The target written to (`onnx` unless `--target` said otherwise).
  public var target: String
  /// What the target's legalization pipeline did; nil when it did not run.
  public var legalization: PipelineReport?
  /// Every file written, in order; empty when nothing was.
  public var files: [WrittenFile]
  public var seconds: Double
  /// What ONNX's checker said about the output, when asked: warnings about what libonnx 1.12
  /// cannot check in newer models, and any problem it found. Advisory only.
  public var checkerFindings: [String]
  /// The sizes `--input-shape` gave to symbolic dims, by name.
  public var fixedSymbols: [String: Int64]
  /// The numerical check, when asked for.
  public var verification: VerificationReport?
  /// Things the user should know that did not stop the conversion.
  public var warnings: [String]
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
    if let passes = options.passes { return try Pipeline.list(passes, registry: options.registry) }
    return try Pipeline.load(options.pipeline, searching: pipelineFolders, registry: options.registry)
  }

  /// Converts `inputPath` into `outputPath`.
  ///
  /// With `options.verification`, the original runs in KilnRuntime before the passes and the
  /// result after them (and after every pass, with `eachPass`); when an output is off by more
  /// than the tolerance, nothing is written and the report says so (`output` is nil,
  /// `verification.passed` is false). A model the runtime cannot run is bad input.
  public static func run(input inputPath: String, output outputPath: String, options: ConversionOptions)
    throws -> ConversionReport
  {
    let start = Date()
    let pipeline = try pipeline(for: options)
    let target = try Targets.named(options.target)
    let legalization = try Pipeline.load(
      target.legalizationPipeline, searching: pipelineFolders, registry: options.registry)
    var targetOptions = TargetOptions(float16Weights: options.float16Weights, onnx: options.write)
    let statistics = try options.int8Statistics.map { try CalibrationStatistics.read(path: $0) }
    if statistics != nil { targetOptions.int8Ranges = [:] }
    for file in target.outputFiles(for: outputPath, options: targetOptions) {
      try refuseOverwritingInput(input: inputPath, output: file, inPlace: options.inPlace)
    }
    let model = try ModelFile(path: inputPath, weights: options.weights).read()
    do {
      try Verifier.verify(model)
    } catch let error as KilnError {
      throw error.inFile(inputPath)
    }
    let summary = ModelSummary(model: model, file: inputPath)
    let symbols: [String: Int64]
    let verifier: ConversionVerifier?
    do {
      symbols = try fixInputShapes(options.inputShapes, of: model)
      verifier = try options.verification.map { try ConversionVerifier(original: model, options: $0) }
    } catch let error as KilnError {
      throw error.inFile(inputPath)
    }
    let (report, verification) = try runPipeline(pipeline, on: model, verifier: verifier, options: options, file: inputPath)
    var conversion = ConversionReport(
      input: summary, inputBytes: totalBytes(summary), result: ModelSummary(model: model, file: outputPath), pipeline: report,
      pipelineName: pipeline.name, output: nil, target: target.name, legalization: nil, files: [], seconds: 0,
      checkerFindings: [], fixedSymbols: symbols, verification: verification, warnings: verifier?.warnings ?? [])
    if verification?.passed ?? true {
      do {
        conversion.legalization = try ModelCalibration.run(legalization, on: model)
        try refuseProblems(TargetCheck.problems(in: model, for: target), target: target)
        if let statistics { targetOptions.int8Ranges = try ActivationRanges.statistics(statistics, nil).resolve(for: model) }
      } catch let error as KilnError {
        throw error.inFile(inputPath)
      }
      conversion.result = ModelSummary(model: model, file: outputPath)
      if let onnx = target as? ONNXTarget {
        conversion.output = try onnx.writeONNX(model, to: outputPath, options: options.write)
        conversion.result.fileBytes = conversion.output?.modelBytes ?? 0
        conversion.checkerFindings = options.check ? checkerFindings(outputPath) : []
      }
      conversion.files = try conversion.output.map { ONNXTarget.files(outputPath, $0) }
        ?? target.write(model, to: outputPath, options: targetOptions)
    }
    conversion.seconds = Date().timeIntervalSince(start)
    return conversion
  }

  /// Refuses a model the target cannot take, listing every problem (exit 2).
  private static func refuseProblems(_ problems: [TargetProblem], target: some DeploymentTarget) throws {
    guard !problems.isEmpty else { return }
    let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
    throw KilnError.badInput(
      "the model cannot be written for \(target.name) (\(count)); nothing was written:\n"
        + problems.map { "  " + $0.line }.joined(separator: "\n"),
      hint: "`kiln targets` lists what \(target.name) supports")
  }

  /// Stops the pipeline at the first pass after which the numbers are off.
  private struct NumbersChanged: Error {
    var pass: String
    var outputs: [OutputComparison]
  }

  /// Runs the pipeline and, with a verifier, checks the result (after every pass when asked).
  private static func runPipeline(
    _ pipeline: Pipeline, on model: Model, verifier: ConversionVerifier?, options: ConversionOptions, file: String
  ) throws -> (PipelineReport, VerificationReport?) {
    var manager = PassManager(pipeline: pipeline, verifyEachPass: options.verifyEachPass)
    var checks: [PassCheck] = []
    var statistics: [PassStatistics] = []
    var last: [OutputComparison]?  // the latest check under --verify-each
    if let verifier, verifier.options.eachPass {
      manager.afterEachPass = { stats, model in
        statistics.append(stats)
        // A pass that changed nothing left the numbers as the last check found them.
        let outputs: [OutputComparison]
        if !stats.changed, let last {
          outputs = last
        } else {
          outputs = try verifier.compare(model, which: "the model after pass '\(stats.pass)'")
        }
        last = outputs
        let passed = outputs.allSatisfy(\.passed)
        checks.append(
          PassCheck(
            pass: stats.pass, iteration: stats.iteration, passed: passed,
            maxAbsoluteError: outputs.map(\.maxAbsoluteError).max() ?? 0,
            maxRelativeError: outputs.map(\.maxRelativeError).max() ?? 0))
        if !passed { throw NumbersChanged(pass: stats.pass, outputs: outputs) }
      }
    }
    let context = PassContext(model: model, shapeInference: LibONNXShapeInference())
    let report: PipelineReport
    var outputs: [OutputComparison]?
    var failingPass: String?
    do {
      report = try manager.run(on: model, context: context)
    } catch let stop as NumbersChanged {
      report = PipelineReport(
        statistics: statistics, iterations: statistics.last?.iteration ?? 1, converged: false,
        notes: context.notes)
      outputs = stop.outputs
      failingPass = stop.pass
    } catch let error as KilnError {
      throw error.inFile(file)
    }
    guard let verifier else { return (report, nil) }
    do {
      outputs = try outputs ?? last ?? verifier.compare(model)
    } catch let error as KilnError {
      throw error.inFile(file)
    }
    let compared = outputs ?? []
    let verification = VerificationReport(
      seed: verifier.options.seed, absoluteTolerance: verifier.options.absoluteTolerance,
      relativeTolerance: verifier.options.relativeTolerance, inputs: verifier.inputs, outputs: compared,
      eachPass: checks, firstFailingPass: failingPass, passed: compared.allSatisfy(\.passed))
    return (report, verification)
  }

  /// The model file's size plus its external-data files'.
  private static func totalBytes(_ summary: ModelSummary) -> Int64 {
    let folder = URL(fileURLWithPath: summary.file).deletingLastPathComponent()
    return summary.externalDataFiles.reduce(summary.fileBytes) { total, location in
      let path = folder.appendingPathComponent(location).path
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.int64Value
      return total + (size ?? 0)
    }
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

  static func refuseOverwritingInput(input: String, output: String, inPlace: Bool) throws {
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
