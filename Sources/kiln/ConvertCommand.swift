// `kiln convert`: read a model, run a pipeline, write the result.

import ArgumentParser
import Foundation
import Kiln
import KilnONNX

/// Converts a model through a pipeline of passes and writes ONNX.
struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Optimize a model through a pipeline of passes and write it.",
    discussion: """
      With --pipeline none the model is written back unchanged (a round trip). Output is
      written atomically: on any error the output path is left as it was. Weights go to an
      external-data file when the input kept them external, when --external-data is given, or
      when the model would pass protobuf's 2 GB limit.
      """)

  @Argument(help: "The input model file (ONNX).")
  var model: String

  @Option(name: [.short, .customLong("output")], help: "Where to write the converted model.")
  var output: String

  @Option(help: "The pass pipeline to run (available: \(ModelConversion.pipelines.joined(separator: ", "))).")
  var pipeline = "none"

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

  @Flag(name: .shortAndLong, help: "Print nothing on success.")
  var quiet = false

  func validate() throws {
    if externalData && noExternalData {
      throw ValidationError("--external-data and --no-external-data exclude each other")
    }
    if sizeThreshold < 0 { throw ValidationError("--size-threshold must not be negative") }
  }

  func run() throws {
    let mode: ONNXWriteOptions.ExternalDataMode =
      externalData ? .always : noExternalData ? .never : .automatic
    let options = ConversionOptions(
      pipeline: pipeline,
      write: ONNXWriteOptions(
        externalData: mode, externalDataLocation: externalDataName, sizeThreshold: sizeThreshold),
      inPlace: inPlace, check: check)
    let report = try ModelConversion.run(input: model, output: output, options: options)
    for finding in report.checkerFindings {
      FileHandle.standardError.write(Data("warning: \(output): \(finding)\n".utf8))
    }
    guard !quiet else { return }
    var line = "wrote \(output) (\(ModelSummary.bytes(report.output.modelBytes))"
    if let data = report.output.externalDataPath {
      line += " + \(ModelSummary.bytes(report.output.externalBytes)) in \(report.output.externalTensorCount) tensors to \(data)"
    }
    line += String(format: ") in %.2f s", report.seconds)
    print(line)
  }
}
