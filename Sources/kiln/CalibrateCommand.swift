// `kiln calibrate`: measure a model's tensors on samples; `kiln calibrate merge`: join shards.

import ArgumentParser
import Foundation
import Kiln
import KilnIR
import KilnONNX
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
        The model first goes through the pre-quantization pipeline (passes/quantize-prepare), the
        one `kiln quantize` runs too, then runs in Kiln's runtime on each sample; every float32
        tensor of the main graph gets a histogram and its exact min and max. The statistics file
        does not depend on the range method: quantization picks minmax, percentile, entropy or mse
        from it later. Samples: --random N seeded random inputs. --shard I/N calibrates the I-th
        of N equal parts (0-based); `kiln calibrate merge` joins the parts' files into exactly the
        file one run over all samples writes.
        """)

    @Argument(help: "The model file (ONNX).")
    var model: String

    @Option(name: [.short, .customLong("output")], help: "Where to write the statistics (JSON).")
    var output: String

    @Option(help: "Calibrate on this many seeded random samples.")
    var random: Int

    @Option(help: "The seed of the random samples.")
    var seed: UInt64 = 0

    @Option(name: .customLong("shape"), help: "The shape of an input whose dims are not fixed: NAME=1x3x224x224 (repeatable).")
    var shapes: [String] = []

    @Option(help: "Use at most this many samples, from the first.")
    var limit: Int?

    @Option(help: "Calibrate part I of N (0-based), e.g. 0/4; merge the parts' files afterwards.")
    var shard: String?

    @Option(help: "Bins per histogram (a power of two).")
    var bins = TensorHistogram.defaultBinCount

    @Option(help: "Threads the runtime may use (the statistics do not depend on it).")
    var threads = 1

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
      if threads < 1 { throw ValidationError("--threads must be at least 1") }
      if random < 1 { throw ValidationError("--random must be at least 1") }
      if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
      var options = CalibrationOptions()
      options.threads = threads
      options.binCount = bins
      options.limit = limit
      options.shard = try shard.map(CalibrationShard.init(parsing:))
      let graph = try ONNXModelReader.read(path: model)
      let source: RandomCalibrationSource
      do {
        source = try RandomCalibrationSource(
          model: graph, count: random, seed: seed,
          shapes: RunCommand.pairs(shapes, option: "--shape").mapValues(RunCommand.parseShape))
      } catch let error as KilnError {
        throw error.inFile(model)
      }
      let display = quiet ? nil : ProgressDisplay(label: "calibrate", unit: "samples")
      options.progress = display.map { display in { display.update(completed: $0.completed, total: $0.total) } }
      let statistics: CalibrationStatistics
      do {
        statistics = try ModelCalibration.calibrate(model: graph, source: source, options: options)
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
        The files must come from the same model, prepared the same way, with the same bin count.
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
