// How a histogram is written in a statistics file: its nonzero stretch of bins, and checked
// when read back.

import KilnIR

extension TensorHistogram: Codable {
  private enum CodingKeys: String, CodingKey {
    case bins, rangeExponent, count, nanCount, infinityCount, min, max, firstBin, counts
  }

  /// Writes the counts from the first to the last nonzero bin, with the first one's index, so
  /// that the empty half of a ReLU output costs nothing; min and max only when defined.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(binCount, forKey: .bins)
    try container.encode(rangeExponent, forKey: .rangeExponent)
    try container.encode(count, forKey: .count)
    try container.encode(nanCount, forKey: .nanCount)
    try container.encode(infinityCount, forKey: .infinityCount)
    let first = counts.firstIndex { $0 > 0 } ?? 0
    let end = (counts.lastIndex { $0 > 0 } ?? -1) + 1
    try container.encode(first, forKey: .firstBin)
    try container.encode(Array(counts[first..<Swift.max(first, end)]), forKey: .counts)
    if count > 0 {
      try container.encode(minimum, forKey: .min)
      try container.encode(maximum, forKey: .max)
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    do {
      try self.init(binCount: try container.decode(Int.self, forKey: .bins))
    } catch let error as KilnError {
      throw DecodingError.dataCorruptedError(forKey: .bins, in: container, debugDescription: error.message)
    }
    rangeExponent = try container.decode(Int.self, forKey: .rangeExponent)
    count = try container.decode(UInt64.self, forKey: .count)
    nanCount = try container.decode(UInt64.self, forKey: .nanCount)
    infinityCount = try container.decode(UInt64.self, forKey: .infinityCount)
    let first = try container.decode(Int.self, forKey: .firstBin)
    let stored = try container.decode([UInt64].self, forKey: .counts)
    guard (Self.smallestExponent...Self.largestExponent).contains(rangeExponent) else {
      throw DecodingError.dataCorruptedError(
        forKey: .rangeExponent, in: container, debugDescription: "range exponent \(rangeExponent) is out of bounds")
    }
    guard first >= 0, first <= binCount, stored.count <= binCount - first else {
      throw DecodingError.dataCorruptedError(forKey: .counts, in: container, debugDescription: "the bins do not fit \(binCount) bins")
    }
    counts.replaceSubrange(first..<first + stored.count, with: stored)
    let (total, overflow) = stored.reduce((UInt64(0), false)) { sum, next in
      let (value, carry) = sum.0.addingReportingOverflow(next)
      return (value, sum.1 || carry)
    }
    guard !overflow, total == count else {
      throw DecodingError.dataCorruptedError(forKey: .counts, in: container, debugDescription: "the bins do not add up to the count \(count)")
    }
    if count > 0 {
      minimum = try container.decode(Float.self, forKey: .min)
      maximum = try container.decode(Float.self, forKey: .max)
      guard minimum.isFinite, maximum.isFinite, minimum <= maximum,
            Swift.max(Double(-minimum), Double(maximum)) < range else {
        throw DecodingError.dataCorruptedError(forKey: .max, in: container, debugDescription: "min and max do not fit the bins")
      }
    }
  }
}
