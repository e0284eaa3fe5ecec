// A histogram of one tensor's values that merges exactly, whatever way the samples were split.

import CKilnKernels
import KilnIR

/// The values one tensor took over calibration: `binCount` equal bins over `[-R, R)`, where
/// `R = 2^rangeExponent` is the smallest power of two above every finite magnitude seen (and
/// at least `2^smallestExponent`), plus the exact minimum, maximum and counts.
///
/// Bin `i` holds `x` with `i = floor(x / w) + binCount/2`, `w = 2R / binCount`. With `binCount`
/// a power of two, `w` is one too, so the index is exact in floating point; when `R` doubles,
/// bins `2k` and `2k+1` become bin `k` of the coarser layout, exactly, because edges nest.
/// The counts therefore depend only on the multiset of values seen, never on their order or
/// on how they were split into histograms that were merged: merging equals one pass.
/// NaNs and infinities are counted apart and kept out of the bins, minimum and maximum.
public struct TensorHistogram: Equatable, Sendable {
  /// The bin count used unless another is asked for.
  public static let defaultBinCount = 2048
  /// The smallest range exponent, so that bin widths stay normal floats.
  public static let smallestExponent = -100
  /// The largest range exponent any finite float32 needs.
  public static let largestExponent = 129

  /// The number of bins: a power of two, at least 2.
  public let binCount: Int
  /// The range is `[-2^rangeExponent, 2^rangeExponent)`.
  public internal(set) var rangeExponent: Int = smallestExponent
  /// The count of finite values in each bin.
  public internal(set) var counts: [UInt64]
  /// The number of finite values seen.
  public internal(set) var count: UInt64 = 0
  /// The NaN values seen.
  public internal(set) var nanCount: UInt64 = 0
  /// The infinite values seen.
  public internal(set) var infinityCount: UInt64 = 0
  /// The smallest finite value seen (`+infinity` before any).
  public internal(set) var minimum = Float.infinity
  /// The largest finite value seen (`-infinity` before any).
  public internal(set) var maximum = -Float.infinity

  /// An empty histogram of `binCount` bins; throws unless it is a power of two of at least 2.
  public init(binCount: Int = defaultBinCount) throws {
    guard binCount >= 2, binCount <= 1 << 24, binCount & (binCount - 1) == 0 else {
      throw KilnError.badInput("a histogram's bin count must be a power of two from 2 to 2^24, not \(binCount)")
    }
    self.binCount = binCount
    counts = [UInt64](repeating: 0, count: binCount)
  }

  /// `R`, the upper end of the bins.
  public var range: Double { Double(sign: .plus, exponent: rangeExponent, significand: 1) }

  /// `w`, the width of every bin.
  public var binWidth: Double { 2 * range / Double(binCount) }

  /// The lower edge of bin `index` (`index == binCount` gives `R`).
  public func lowerEdge(ofBin index: Int) -> Double { Double(index - binCount / 2) * binWidth }

  /// The exact range of the finite values, or nil before any.
  public var valueRange: TensorRange? {
    count == 0 ? nil : TensorRange(min: minimum, max: maximum)
  }

  /// Adds `values` to the histogram.
  public mutating func add(_ values: UnsafeBufferPointer<Float>) {
    guard let base = values.baseAddress else { return }
    var low = minimum, high = maximum, finite = 0, nans = 0
    // Bin i = floor(x / w) + binCount / 2, with 1 / w exact (a power of two).
    let (scale, limit) = (1 / binWidth, range)
    let binned = counts.withUnsafeMutableBufferPointer { bins in
      kiln_histogram_add(
        base, values.count, scale, binCount / 2, limit, bins.baseAddress!, binCount, &low, &high, &finite, &nans)
    }
    nanCount += UInt64(nans)
    infinityCount += UInt64(values.count - finite - nans)
    guard finite > 0 else { return }
    minimum = low
    maximum = high
    count += UInt64(finite)
    guard !binned else { return }
    grow(toCover: Swift.max(Double(-low), Double(high)))
    let widerScale = 1 / binWidth
    counts.withUnsafeMutableBufferPointer { bins in
      kiln_histogram_bins(base, values.count, widerScale, binCount / 2, bins.baseAddress!, binCount)
    }
  }

  /// Adds the values of `other`, which must have the same bin count.
  public mutating func merge(_ other: TensorHistogram) throws {
    guard other.binCount == binCount else {
      throw KilnError.badInput("histograms of \(binCount) and \(other.binCount) bins cannot be merged")
    }
    var other = other
    other.coarsen(to: rangeExponent)
    coarsen(to: other.rangeExponent)
    for index in counts.indices { counts[index] += other.counts[index] }
    count += other.count
    nanCount += other.nanCount
    infinityCount += other.infinityCount
    minimum = Swift.min(minimum, other.minimum)
    maximum = Swift.max(maximum, other.maximum)
  }

  /// The counts folded onto magnitudes: bin `k` of the `binCount / 2` holds the values with
  /// `|x|` in about `[k·w, (k+1)·w)` (a negative bin's edges are the other way round).
  public var magnitudeCounts: [Double] {
    let middle = binCount / 2
    return (0..<middle).map { Double(counts[middle + $0]) + Double(counts[middle - 1 - $0]) }
  }

  /// Doubles `R` until it is above `magnitude`.
  private mutating func grow(toCover magnitude: Double) {
    guard magnitude > 0 else { return }
    coarsen(to: Swift.min(Int(magnitude.exponent) + 1, Self.largestExponent))
  }

  /// Widens the bins until `R = 2^exponent` (nothing when already that wide): bin offset `k`
  /// from the middle becomes `k >> d` after `d` doublings.
  mutating func coarsen(to exponent: Int) {
    let doublings = exponent - rangeExponent
    guard doublings > 0 else { return }
    let middle = binCount / 2
    var coarse = [UInt64](repeating: 0, count: binCount)
    for (index, binCount) in counts.enumerated() where binCount > 0 {
      coarse[((index - middle) >> doublings) + middle] += binCount
    }
    counts = coarse
    rangeExponent = exponent
  }
}
