// A part of a calibration source: its first N samples, and one of N interleaved shards.

import KilnIR

/// The samples of `base` that a limit and a shard select, in `base`'s order and with its names:
/// the first `limit` samples, then of those every one whose index modulo `shardCount` is
/// `shardIndex`. The shards `0/N ... (N-1)/N` partition the limited samples.
public struct ShardedSource: CalibrationSource {
  public let base: any CalibrationSource
  /// The base indices selected, ascending.
  public let indices: [Int]

  public init(base: any CalibrationSource, limit: Int? = nil, shard: Shard? = nil) throws {
    if let limit, limit < 1 { throw KilnError(.usage, "--limit must be at least 1, not \(limit)") }
    self.base = base
    let limited = 0..<min(base.count, limit ?? base.count)
    let shard = try shard ?? Shard(index: 0, count: 1)
    indices = limited.filter { $0 % shard.count == shard.index }
    guard !indices.isEmpty else {
      throw KilnError.badInput("shard \(shard) of \(limited.count) samples is empty", hint: "use fewer shards than samples")
    }
  }

  public var count: Int { indices.count }

  public func name(at index: Int) -> String { base.name(at: indices[index]) }

  public func sample(at index: Int) throws -> CalibrationSample { try base.sample(at: indices[index]) }
}

/// Shard `index` of `count`, written `I/N` with 0 ≤ I < N.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
  public let index: Int
  public let count: Int

  public init(index: Int, count: Int) throws {
    guard count >= 1, (0..<count).contains(index) else {
      throw KilnError(.usage, "a shard is I/N with N ≥ 1 and 0 ≤ I < N, not \(index)/\(count)")
    }
    self.index = index
    self.count = count
  }

  /// Parses `I/N`.
  public init(text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 2, let index = parts[0], let count = parts[1] else {
      throw KilnError(.usage, "--shard takes I/N, e.g. 0/4, not '\(text)'")
    }
    try self.init(index: index, count: count)
  }

  public var description: String { "\(index)/\(count)" }
}
