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
      The default pipeline (passes/default.pipeline) runs safe cleanup passes; --pipeline none
      writes the model back unchanged (a round trip); `kiln passes` lists every pass. Output is
      written atomically: on any error the output path is left as it was. Weights go to an
      external-data file when the input kept them external, when --external-data is given, or
      when the model would pass protobuf's 2 GB limit.
      """)

  @Argument(help: "The input model file (ONNX).")
  var model: String

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
      pipeline: pipeline, passes: passes,
      write: ONNXWriteOptions(
        externalData: mode, externalDataLocation: externalDataName, sizeThreshold: sizeThreshold),
      inPlace: inPlace, check: check)
    let report = try ModelConversion.run(input: model, output: output, options: options)
    for finding in report.checkerFindings {
      FileHandle.standardError.write(Data("warning: \(output): \(finding)\n".utf8))
    }
    guard !quiet else { return }
    if verbose {
      for stats in report.pipeline.statistics {
        print(String(format: "  %@  %d → %d nodes  %.3f s", stats.pass, stats.nodesBefore, stats.nodesAfter, stats.seconds))
      }
      for note in report.pipeline.notes { print("  note: \(note)") }
      if !report.pipeline.converged {
        print("  the pipeline stopped at its iteration cap (\(report.pipeline.iterations)) while still changing the graph")
      }
    }
    if report.input.nodeCount != report.result.nodeCount {
      print("nodes: \(report.input.nodeCount) → \(report.result.nodeCount)")
    }
    var line = "wrote \(output) (\(ModelSummary.bytes(report.output.modelBytes))"
    if let data = report.output.externalDataPath {
      line += " + \(ModelSummary.bytes(report.output.externalBytes)) in \(report.output.externalTensorCount) tensors to \(data)"
    }
    line += String(format: ") in %.2f s", report.seconds)
    print(line)
  }
}
