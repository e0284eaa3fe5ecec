// Running a model over calibration samples and collecting the histograms of its tensors.

import Foundation
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

/// Runs a model over samples of a `CalibrationSource` and histograms the float32 tensors of its
/// main graph whose ranges int8 quantization reads: the inputs of Conv, ConvTranspose, MatMul
/// and Gemm that are not constants, and both inputs of an Add of two computed tensors
/// (`observed`, `QuantizableNode.rangedInputs`). The runtime shows only those, so a Conv whose
/// own output is not among them keeps its Relu or Clip fused. Each of `threads` workers takes
/// the next sample from a shared `SampleQueue` and runs it in its own executor, into its own
/// statistics, merged at the end; each tensor is released as the executor releases it, so
/// memory is bounded by the histograms, never by the number of samples. Merging is exact, so
/// the statistics depend only on the samples, not on their order, the thread count nor which
/// worker ran which sample.
public struct Calibrator {
  /// One executor per worker.
  public let executors: [Executor]
  public let binCount: Int
  /// The names of the tensors measured.
  public let observed: Set<String>

  /// A calibrator running `threads` samples at once (one single-threaded executor each: at
  /// batch 1 samples in parallel scale better than one sample's kernels split over threads).
  public init(model: Model, threads: Int = 1, binCount: Int = TensorHistogram.defaultBinCount) throws {
    _ = try TensorHistogram(binCount: binCount)
    executors = try (0..<max(1, threads)).map { _ in try Executor(model: model, options: ExecutionOptions(threads: 1)) }
    self.binCount = binCount
    observed = QuantizableNode.rangedInputs(of: model.graph)
  }

  /// Runs samples `indices` (all by default) of `source`, calling `progress` after each (from
  /// one thread at a time).
  public func run(
    _ source: any CalibrationSource, indices: [Int]? = nil, progress: ((CalibrationProgress) -> Void)? = nil
  ) throws -> CalibrationStatistics {
    let chosen = indices ?? Array(0..<source.count)
    if let index = chosen.first(where: { !(0..<source.count).contains($0) }) {
      throw KilnError.badInput("sample \(index) is out of range: the source has \(source.count)")
    }
    let workers = min(executors.count, max(chosen.count, 1))
    let queue = SampleQueue(chosen)
    let lock = NSLock()
    var done = 0
    let parts = try concurrentResults(workers) { worker in
      measure(source, queue, executors[worker]) { name in
        lock.lock()
        defer { lock.unlock() }
        done += 1
        progress?(CalibrationProgress(completed: done, total: chosen.count, sampleName: name))
      }
    }
    try queue.rethrowFirstFailure()
    var statistics = parts[0]
    for (worker, part) in parts.enumerated().dropFirst() { try statistics.merge(part, file: "worker \(worker)") }
    return statistics
  }

  /// The statistics of the samples of `queue` that this worker takes, run in `executor`; a
  /// failure goes to the queue, which stops handing out samples.
  private func measure(
    _ source: any CalibrationSource, _ queue: SampleQueue, _ executor: Executor, after: (String) -> Void
  ) -> CalibrationStatistics {
    let graph = executor.model.graph
    var statistics = CalibrationStatistics(
      graphName: graph.name, inputNames: executor.requiredInputs.map(\.name), binCount: binCount)
    while let (position, index) = queue.take() {
      let name = source.name(at: index)
      do {
        _ = try executor.run(source.sample(at: index), observing: { try statistics.observe($0, $1) }, only: observed)
      } catch {
        queue.fail(at: position, (error as? KilnError)?.inFile(name) ?? error)
        break
      }
      statistics.sampleCount += 1
      after(name)
    }
    return statistics
  }
}
