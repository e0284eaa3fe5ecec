// `kiln calibrate`: measure a model's tensors on samples; `kiln calibrate merge`: join shards.

import ArgumentParser
import Foundation
import Kiln
import KilnIR
import KilnQuant

/// `kiln calibrate`: runs a model over samples (the default subcommand, `run`) or merges shards.
struct CalibrateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calibrate",
    abstract: "Measure a model's tensors on calibration samples, or merge shards' statistics.",
    subcommands: [Run.self, Merge.self],
    defaultSubcommand: Run.self)

  /// Warns about tensors that held NaN or infinity, and says what was written.
  static func report(_ statistics: CalibrationStatistics, output: String, quiet: Bool) {
    for tensor in statistics.nonFiniteTensors {
      FileHandle.standardError.write(
        Data("warning: tensor '\(tensor.name)' held \(tensor.nans) NaN and \(tensor.infinities) infinite values\n".utf8))
    }
    if !quiet {
      print("\(output): \(statistics.tensors.count) tensors over \(statistics.sampleCount) samples")
    }
  }

  /// Runs a model over calibration samples and writes the statistics file quantization reads.
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure a model's tensors on calibration samples (the default).",
      discussion: """
        The model first goes through the pre-quantization pipeline (passes/quantize-prepare), the \
        one `kiln quantize` runs too, then runs in Kiln's runtime on each sample; every float32 \
        tensor of the main graph gets a histogram and its exact min and max. The statistics file \
        does not depend on the range method: quantization picks minmax, percentile, entropy or mse \
        from it later. Samples: --images DIR (preprocessed as the options say), --inputs DIR \
        (.npy/.npz) or --random N seeded random inputs. --shard I/N calibrates the samples whose \
        index modulo N is I; `kiln calibrate merge` joins the parts' files into exactly the file \
        one run over all samples writes.
        """)

    @Argument(help: "The model file (ONNX).")
    var model: String

    @Option(name: [.short, .customLong("output")], help: "Where to write the statistics (JSON).")
    var output: String

    @OptionGroup var data: CalibrationDataOptions

    @Option(help: "The range method quantization uses by default with these statistics: minmax, percentile, entropy or mse.")
    var method = "minmax"

    @Option(help: "The percentile of --method percentile.")
    var percentile = CalibrationMethod.defaultPercentile

    @Option(help: "Bins per histogram (a power of two).")
    var bins = TensorHistogram.defaultBinCount

    @Option(help: "Samples calibrated at once, one per thread (the statistics do not depend on it).")
    var threads = 1

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
      if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
      var options = CalibrationOptions()
      options.threads = threads
      options.binCount = bins
      options.method = try CalibrationMethod(name: method, percentile: percentile)
      let graph = try ModelFile(path: model).read()
      let samples: CalibrationData
      do {
        samples = try data.calibrationData(for: graph)
      } catch let error as KilnError where error.kind != .usage {
        throw error.inFile(model)
      }
      for skipped in samples.skippedImages {
        FileHandle.standardError.write(Data("skipped \(skipped.name): \(skipped.reason)\n".utf8))
      }
      if !samples.skippedImages.isEmpty {
        FileHandle.standardError.write(Data("skipped \(samples.skippedImages.count) unreadable images\n".utf8))
      }
      let display = quiet ? nil : ProgressDisplay(label: "calibrate", unit: "samples")
      options.progress = display.map { display in { display.update(completed: $0.completed, total: $0.total) } }
      let statistics: CalibrationStatistics
      do {
        statistics = try ModelCalibration.calibrate(model: graph, source: samples.source, options: options)
      } catch let error as KilnError {
        throw error.inFile(model)
      }
      display?.finish()
      try statistics.write(to: output)
      CalibrateCommand.report(statistics, output: output, quiet: quiet)
    }
  }

  /// Joins statistics files of disjoint samples of one model.
  struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Merge statistics files of calibration shards.",
      discussion: """
        The files must come from the same model, prepared the same way, with the same bin count. \
        The merge is exact: shards merged give the bytes one run over all their samples gives.
        """)

    @Argument(help: "The statistics files to merge.")
    var files: [String]

    @Option(name: [.short, .customLong("output")], help: "Where to write the merged statistics.")
    var output: String

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
      if files.isEmpty { throw ValidationError("give the statistics files to merge") }
    }

    func run() throws {
      let merged = try CalibrationStatistics.merge(paths: files)
      try merged.write(to: output)
      CalibrateCommand.report(merged, output: output, quiet: quiet)
    }
  }
}
