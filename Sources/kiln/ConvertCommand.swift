// `kiln convert`: read a model, run a pipeline, check the numbers, write the result.

import ArgumentParser
import Foundation
import Kiln
import KilnONNX

/// Converts a model through a pipeline of passes and writes ONNX or another target's format.
struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Optimize a model through a pipeline of passes and write it.",
    discussion: """
      The default pipeline (passes/default.pipeline) runs safe cleanup passes; --pipeline none \
      writes the model back unchanged (a round trip); `kiln passes` lists every pass. Output is \
      written atomically: on any error the output path is left as it was. Weights go to an \
      external-data file when the input kept them external, when --external-data is given, or \
      when the model would pass protobuf's 2 GB limit.

      --verify runs the original and the result in Kiln's runtime on the same inputs (seeded \
      random values, or --input files) and fails (exit 1, nothing written) when an output \
      element is off by more than --atol + --rtol × |original|; --verify-each checks after \
      every pass and names the first pass that changed the numbers. A model the runtime cannot \
      run cannot be verified (exit 2).

      --target writes another format (`kiln targets` lists them): after the pipeline, the \
      target's legalization pipeline (passes/TARGET.pipeline) runs, then every node is checked; \
      a model the target cannot take exits 2 listing every unsupported node and why, and \
      nothing is written. A target's files are written all together or not at all.
      """)

  @Argument(help: "The input model file (ONNX, TFLite, Caffe .prototxt or Darknet .cfg; recognized by content).")
  var model: String

  @Option(help: "The weights file of a Caffe (.caffemodel) or Darknet (.weights) model.")
  var weights: String?

  @Option(name: [.short, .customLong("output")], help: "Where to write the converted model.")
  var output: String

  @Option(help: "The pipeline to run: a name (default, none, ...) or a path to a .pipeline file.")
  var pipeline = "default"

  @Option(help: "Run these passes, comma-separated, instead of a pipeline (see `kiln passes`).")
  var passes: String?

  @Flag(name: .shortAndLong, help: "Print what each pass did and why passes skipped nodes.")
  var verbose = false

  @Flag(help: "Write tensors of at least --size-threshold bytes to an external-data file.")
  var externalData = false

  @Flag(help: "Keep every tensor inside the model file (fails above 2 GB).")
  var noExternalData = false

  @Option(help: "Name of the external-data file, beside the output (default: OUTPUT.data).")
  var externalDataName: String?

  @Option(help: "Tensors smaller than this many bytes stay inside the model file.")
  var sizeThreshold: Int64 = 1024

  @Flag(help: "Allow the output to replace the input file.")
  var inPlace = false

  @Flag(
    help: "Run ONNX's checker (libonnx 1.12) on the written model and print what it reports as warnings; never changes the exit code, since libonnx cannot fully check newer models."
  )
  var check = false

  @Option(
    name: .customLong("input-shape"),
    help: ArgumentHelp(
      "Fix the shape of a graph input before the passes, e.g. input=1x3x224x224 (repeatable).",
      valueName: "NAME=DIMS"))
  var inputShapes: [String] = []

  @Flag(help: "Check the result against the original in Kiln's runtime; exit 1 if they differ.")
  var verify = false

  @Flag(help: "Check after every pass (implies --verify) and name the first pass that changed the numbers.")
  var verifyEach = false

  @Option(
    name: .customLong("input"),
    help: ArgumentHelp("An input for --verify from a .npy (or .pb) file (repeatable).", valueName: "NAME=FILE"))
  var inputs: [String] = []

  @Option(help: "Seed of the random inputs for --verify.")
  var seed: UInt64 = 0

  @Option(help: "Absolute tolerance of --verify.")
  var atol = VerificationOptions.defaultAbsoluteTolerance

  @Option(help: "Relative tolerance of --verify.")
  var rtol = VerificationOptions.defaultRelativeTolerance

  @Option(help: "The format to write: onnx (default), ncnn, ... (see `kiln targets`).")
  var target = "onnx"

  @Flag(help: "Store weights as float16 where the target allows (ncnn).")
  var fp16Weights = false

  @Flag(help: "Write the target's int8 scheme from --stats (ncnn: an int8 table for ncnn2int8).")
  var int8 = false

  @Option(help: "Calibration statistics from `kiln calibrate` on this model, for --int8.")
  var stats: String?

  @Flag(help: "Print the summary as JSON.")
  var json = false

  @Flag(name: .shortAndLong, help: "Print nothing on success.")
  var quiet = false

  func validate() throws {
    if externalData && noExternalData {
      throw ValidationError("--external-data and --no-external-data exclude each other")
    }
    if sizeThreshold < 0 { throw ValidationError("--size-threshold must not be negative") }
    if !(atol >= 0) || !(rtol >= 0) { throw ValidationError("--atol and --rtol must be numbers, 0 or more") }
    if !inputs.isEmpty && !(verify || verifyEach) { throw ValidationError("--input is for --verify") }
    if int8 != (stats != nil) { throw ValidationError("--int8 needs --stats FILE, and --stats is for --int8") }
    if target == "onnx" && (fp16Weights || int8) {
      throw ValidationError("--fp16-weights and --int8 are for other targets; for ONNX use `kiln quantize --fp16` or `--int8`")
    }
  }

  func run() throws {
    let mode: ONNXWriteOptions.ExternalDataMode =
      externalData ? .always : noExternalData ? .never : .automatic
    var inputFiles: [String: String] = [:]
    for text in inputs {
      let (name, file) = try ModelConversion.parseAssignment(text, option: "--input", expected: "NAME=FILE.npy")
      inputFiles[name] = file
    }
    let options = ConversionOptions(
      pipeline: pipeline, passes: passes,
      write: ONNXWriteOptions(
        externalData: mode, externalDataLocation: externalDataName, sizeThreshold: sizeThreshold),
      inPlace: inPlace, check: check, inputShapes: try ModelConversion.parseInputShapes(inputShapes),
      verification: verify || verifyEach
        ? VerificationOptions(
          inputFiles: inputFiles, seed: seed, absoluteTolerance: atol, relativeTolerance: rtol, eachPass: verifyEach)
        : nil, weights: weights, target: target, float16Weights: fp16Weights, int8Statistics: stats)
    let report = try ModelConversion.run(input: model, output: output, options: options)
    for warning in report.warnings + report.checkerFindings.map({ "\(output): \($0)" }) {
      FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
    }
    let failed = report.verification.map { !$0.passed } ?? false
    if json {
      FileHandle.standardOutput.write(try report.json() + Data("\n".utf8))
    } else if !quiet || failed {
      print(report.text(verbose: verbose))
    }
    if let verification = report.verification, !verification.passed {
      throw ModelConversion.verificationFailure(verification, output: output)
    }
  }
}
