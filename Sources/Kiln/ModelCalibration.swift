// Calibrating a model: the pre-quantization pipeline, then histograms over samples.

import KilnIR
import KilnPasses
import KilnQuant

/// Options for `ModelCalibration.calibrate`.
public struct CalibrationOptions {
  /// Samples calibrated at once, one per thread; the statistics do not depend on it.
  public var threads = 1
  /// Bins per histogram (a power of two).
  public var binCount = TensorHistogram.defaultBinCount
  /// The range method the statistics name for quantization (`--method`).
  public var method: CalibrationMethod = .minmax
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
    try run(Pipeline.load(preparePipeline, searching: ModelConversion.pipelineFolders, registry: registry), on: model)
  }

  /// Runs `pipeline` over `model`, in place, with libonnx's shape inference.
  static func run(_ pipeline: Pipeline, on model: Model) throws -> PipelineReport {
    try PassManager(pipeline: pipeline).run(on: model, context: PassContext(model: model, shapeInference: LibONNXShapeInference()))
  }

  /// Prepares `model` (in place) and runs it over every sample of `source` (which a
  /// `ShardedSource` limits or shards).
  public static func calibrate(
    model: Model, source: any CalibrationSource, options: CalibrationOptions = .init()
  ) throws -> CalibrationStatistics {
    guard source.count > 0 else { throw KilnError.badInput("there are no calibration samples") }
    try prepare(model, registry: options.registry)
    let calibrator = try Calibrator(model: model, threads: options.threads, binCount: options.binCount)
    var statistics = try calibrator.run(source, progress: options.progress)
    statistics.method = options.method
    return statistics
  }
}
