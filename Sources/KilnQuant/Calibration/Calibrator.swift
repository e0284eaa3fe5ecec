// Running a model over calibration samples and collecting the histograms of its tensors.

import KilnIR
import KilnRuntime

/// How far a calibration run has come, told after each sample.
public struct CalibrationProgress: Sendable {
  /// Samples done so far in this run.
  public var completed: Int
  /// Samples this run will do.
  public var total: Int
  /// The name of the sample just done.
  public var sampleName: String
}

/// Runs a model over samples of a `CalibrationSource` and histograms every float32 tensor of
/// its main graph (fed inputs and node outputs; constants, Constant-node outputs included, are
/// not measured). One sample is held at a time and each tensor is released as the executor
/// releases it, so memory is bounded by the histograms, never by the number of samples.
/// The statistics depend only on the samples, not on their order nor on the thread count.
public struct Calibrator {
  public let executor: Executor
  public let binCount: Int
  /// Values the main graph's Constant nodes produce: constants, not measured.
  private let constants: Set<String>

  public init(model: Model, threads: Int = 1, binCount: Int = TensorHistogram.defaultBinCount) throws {
    _ = try TensorHistogram(binCount: binCount)
    executor = try Executor(model: model, options: ExecutionOptions(threads: threads))
    self.binCount = binCount
    constants = Set(
      model.graph.nodes.filter { $0.opType == "Constant" && ($0.domain.isEmpty || $0.domain == "ai.onnx") }
        .flatMap { $0.outputs.compactMap { $0?.name } })
  }

  /// Runs samples `indices` (all by default) of `source`, calling `progress` after each.
  public func run(
    _ source: any CalibrationSource, indices: [Int]? = nil, progress: ((CalibrationProgress) -> Void)? = nil
  ) throws -> CalibrationStatistics {
    let graph = executor.model.graph
    var statistics = CalibrationStatistics(
      graphName: graph.name, inputNames: executor.requiredInputs.map(\.name), binCount: binCount)
    let chosen = indices ?? Array(0..<source.count)
    for (done, index) in chosen.enumerated() {
      guard (0..<source.count).contains(index) else {
        throw KilnError.badInput("sample \(index) is out of range: the source has \(source.count)")
      }
      let name = source.name(at: index)
      do {
        _ = try executor.run(source.sample(at: index)) { [constants] value, tensor in
          if !constants.contains(value) { try statistics.observe(value, tensor) }
        }
      } catch let error as KilnError {
        throw error.inFile(name)
      }
      statistics.sampleCount += 1
      progress?(CalibrationProgress(completed: done + 1, total: chosen.count, sampleName: name))
    }
    return statistics
  }
}
