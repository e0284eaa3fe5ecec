// What calibration measured: a histogram per float32 tensor, and the file that holds them.

import Foundation
import KilnIR
import KilnRuntime

/// The statistics of one calibration run (or of merged runs over disjoint samples): for each
/// float32 tensor of the main graph, by value name, a `TensorHistogram`; and what they came
/// from. Written as JSON whose bytes depend only on the statistics: identical statistics give
/// identical files, so shards merged give the same bytes as one run over all samples.
public struct CalibrationStatistics: Equatable, Sendable {
  /// The format's name, written in every file.
  public static let schema = "kiln-calibration-statistics"
  /// The format's version; files of another version are refused.
  public static let version = 1

  /// The name of the model's main graph.
  public var graphName: String
  /// The model's graph inputs that samples fed, in order.
  public var inputNames: [String]
  /// The bin count of every histogram.
  public var binCount: Int
  /// How ranges are chosen from the histograms unless quantization is told otherwise.
  public var method: CalibrationMethod = .minmax
  /// The samples run.
  public var sampleCount = 0
  /// The histograms, by tensor name.
  public var tensors: [String: TensorHistogram] = [:]

  public init(graphName: String, inputNames: [String], binCount: Int = TensorHistogram.defaultBinCount) {
    self.graphName = graphName
    self.inputNames = inputNames
    self.binCount = binCount
  }

  /// Adds `tensor`'s values to the histogram of `name`, if it is float32; others are ignored.
  public mutating func observe(_ name: String, _ tensor: HostTensor) throws {
    guard tensor.dataType == .float else { return }
    if tensors[name] == nil { tensors[name] = try TensorHistogram(binCount: binCount) }
    tensors[name]?.add(tensor.elements(as: Float.self))
  }

  /// Every tensor's range by `method`.
  public func ranges(_ method: CalibrationMethod) -> [String: TensorRange] {
    tensors.mapValues(method.range)
  }

  /// The tensors that held NaN or infinite values, sorted, with how many.
  public var nonFiniteTensors: [(name: String, nans: UInt64, infinities: UInt64)] {
    tensors.keys.sorted().compactMap { name in
      guard let histogram = tensors[name], histogram.nanCount + histogram.infinityCount > 0 else { return nil }
      return (name, histogram.nanCount, histogram.infinityCount)
    }
  }

  /// Adds the statistics of other samples of the same model. `file` names `other` in errors.
  /// Statistics of no samples merge with anything of the same model.
  public mutating func merge(_ other: CalibrationStatistics, file: String) throws {
    guard other.graphName == graphName, other.inputNames == inputNames else {
      throw KilnError.badInput(
        "the statistics are of graph '\(other.graphName)' with inputs \(other.inputNames), not of '\(graphName)' with \(inputNames)",
        file: file, hint: "merge only shards of one calibration of one model")
    }
    guard other.binCount == binCount else {
      throw KilnError.badInput("the histograms have \(other.binCount) bins, not \(binCount)", file: file)
    }
    guard other.method == method else {
      throw KilnError.badInput(
        "the statistics choose ranges by \(other.method.text), not by \(method.text)", file: file,
        hint: "calibrate every shard with the same --method")
    }
    if other.sampleCount > 0 && sampleCount > 0 {
      let mine = Set(tensors.keys), theirs = Set(other.tensors.keys)
      if let name = mine.symmetricDifference(theirs).sorted().first {
        throw KilnError.badInput(
          "tensor '\(name)' is \(theirs.contains(name) ? "only in this file" : "missing from this file")",
          file: file, hint: "merge only statistics of one model prepared the same way")
      }
    }
    for (name, histogram) in other.tensors {
      if var mine = tensors[name] {
        try mine.merge(histogram)
        tensors[name] = mine
      } else {
        tensors[name] = histogram
      }
    }
    sampleCount += other.sampleCount
  }
}
