// One of N parts of a calibration set, so that separate processes can each calibrate a part.

import KilnIR

/// Part `index` of `count` (0-based, `--shard I/N`): a contiguous block of the samples. The
/// blocks of all parts cover every sample once; their statistics merge into those of one run.
public struct CalibrationShard: Equatable, Sendable {
  public let index: Int
  public let count: Int

  public init(index: Int, count: Int) throws {
    guard count >= 1, (0..<count).contains(index) else {
      throw KilnError(.usage, "a shard is I/N with 0 ≤ I < N, not \(index)/\(count)")
    }
    self.index = index
    self.count = count
  }

  /// Parses `I/N`.
  public init(parsing text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
      throw KilnError(.usage, "a shard is written I/N (e.g. 0/4), not '\(text)'")
    }
    try self.init(index: index, count: count)
  }

  /// This part's sample indices out of `total`.
  public func indices(of total: Int) -> Range<Int> {
    total * index / count..<total * (index + 1) / count
  }
}
