// Calibrating a model: the pre-quantization pipeline, then histograms over samples.

import KilnIR
import KilnPasses
import KilnQuant

/// Options for `ModelCalibration.calibrate`.
public struct CalibrationOptions {
  /// Threads the runtime may use; the statistics do not depend on it.
  public var threads = 1
  /// Bins per histogram (a power of two).
  public var binCount = TensorHistogram.defaultBinCount
  /// At most this many samples, from the first (`--limit`); all when nil.
  public var limit: Int?
  /// Only this part of the (limited) samples (`--shard I/N`).
  public var shard: CalibrationShard?
  /// Called after each sample.
  public var progress: ((CalibrationProgress) -> Void)?
  /// The passes pipelines may name.
  public var registry: PassRegistry = .standard

  public init() {}
}

/// `kiln calibrate`: prepares a model for quantization and measures its tensors on samples.
public enum ModelCalibration {
  /// The pipeline that runs before quantization (passes/quantize-prepare.pipeline). Calibration
  /// and quantization both run it, so that the tensor names of statistics match.
  public static let preparePipeline = "quantize-prepare"

  /// Runs the pre-quantization pipeline over `model`, in place.
  @discardableResult
  public static func prepare(_ model: Model, registry: PassRegistry = .standard) throws -> PipelineReport {
    let pipeline = try Pipeline.load(preparePipeline, searching: ModelConversion.pipelineFolders, registry: registry)
    let context = PassContext(model: model, shapeInference: LibONNXShapeInference())
    return try PassManager(pipeline: pipeline).run(on: model, context: context)
  }

  /// The sample indices `options` select out of `count`.
  public static func indices(count: Int, options: CalibrationOptions) -> [Int] {
    let limited = min(count, options.limit ?? count)
    return Array(options.shard?.indices(of: limited) ?? 0..<limited)
  }

  /// Prepares `model` (in place) and runs it over the selected samples of `source`.
  public static func calibrate(
    model: Model, source: any CalibrationSource, options: CalibrationOptions = .init()
  ) throws -> CalibrationStatistics {
    guard source.count > 0 else { throw KilnError.badInput("there are no calibration samples") }
    try prepare(model, registry: options.registry)
    let calibrator = try Calibrator(model: model, threads: options.threads, binCount: options.binCount)
    return try calibrator.run(source, indices: indices(count: source.count, options: options), progress: options.progress)
  }
}
