// How the absolute errors of one output are distributed, in fixed log-spaced bins.

import Foundation

/// Counts of |r − c| over every element of an output: `bins` log-spaced bins from
/// `lowerBound` to `upperBound` (bin i holds errors in [lower·step^i, lower·step^(i+1)),
/// step = (upper/lower)^(1/bins)), plus `underflow` (below `lowerBound`, exact zeros included)
/// and `overflow` (`upperBound` and above, infinity and NaN included). Fixed bins, so it is
/// accumulated in one pass without keeping the errors.
public struct ErrorHistogram: Sendable, Codable, Equatable {
  public static let defaultLowerBound = 1e-8
  public static let defaultUpperBound = 1e4
  public static let defaultBinCount = 40

  public var lowerBound: Double
  public var upperBound: Double
  public var counts: [Int]
  public var underflow: Int
  public var overflow: Int

  public init(
    lowerBound: Double = Self.defaultLowerBound, upperBound: Double = Self.defaultUpperBound,
    binCount: Int = Self.defaultBinCount
  ) {
    precondition(lowerBound > 0 && upperBound > lowerBound && binCount > 0, "the bins are fixed constants")
    self.lowerBound = lowerBound
    self.upperBound = upperBound
    counts = Array(repeating: 0, count: binCount)
    underflow = 0
    overflow = 0
  }

  /// Counts one absolute error.
  public mutating func add(_ error: Double) {
    if error < lowerBound {
      underflow += 1
    } else if !(error < upperBound) {
      overflow += 1
    } else {
      let position = Foundation.log10(error / lowerBound) / Foundation.log10(upperBound / lowerBound)
      counts[Swift.min(counts.count - 1, Int(position * Double(counts.count)))] += 1
    }
  }

  /// The lower edge of bin `index` (`index == counts.count` gives `upperBound`).
  public func edge(_ index: Int) -> Double {
    lowerBound * Foundation.pow(upperBound / lowerBound, Double(index) / Double(counts.count))
  }

  /// Every error counted.
  public var total: Int { counts.reduce(underflow + overflow, +) }
}
