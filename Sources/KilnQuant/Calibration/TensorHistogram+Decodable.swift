// How a histogram is read back from a statistics file, and checked.

import KilnIR

extension TensorHistogram: Decodable {
  /// The written form (see `StatisticsJSONWriter`): the counts from the first to the last
  /// nonzero bin, with the first one's index; min and max only when defined.
  private struct Stored: Decodable {
    var bins: Int
    var rangeExponent: Int
    var count: UInt64
    var nanCount: UInt64
    var infinityCount: UInt64
    var min: Float?
    var max: Float?
    var firstBin: Int
    var counts: [UInt64]
  }

  public init(from decoder: any Decoder) throws {
    let stored = try Stored(from: decoder)
    func damaged(_ message: String) -> DecodingError {
      .dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath, debugDescription: message))
    }
    do {
      try self.init(binCount: stored.bins)
    } catch let error as KilnError {
      throw damaged(error.message)
    }
    guard (Self.smallestExponent...Self.largestExponent).contains(stored.rangeExponent) else {
      throw damaged("range exponent \(stored.rangeExponent) is out of bounds")
    }
    guard stored.firstBin >= 0, stored.firstBin <= binCount, stored.counts.count <= binCount - stored.firstBin else {
      throw damaged("the bins do not fit \(binCount) bins")
    }
    let (total, overflow) = stored.counts.reduce((UInt64(0), false)) { sum, next in
      let (value, carry) = sum.0.addingReportingOverflow(next)
      return (value, sum.1 || carry)
    }
    guard !overflow, total == stored.count else { throw damaged("the bins do not add up to the count \(stored.count)") }
    rangeExponent = stored.rangeExponent
    count = stored.count
    nanCount = stored.nanCount
    infinityCount = stored.infinityCount
    counts.replaceSubrange(stored.firstBin..<stored.firstBin + stored.counts.count, with: stored.counts)
    guard count > 0 else { return }
    guard let low = stored.min, let high = stored.max, low.isFinite, high.isFinite, low <= high,
          Swift.max(Double(-low), Double(high)) < range else {
      throw damaged("min and max are missing or do not fit the bins")
    }
    minimum = low
    maximum = high
  }
}
