// The samples of a calibration run, handed out in order to whichever worker asks next.

import Foundation

/// A calibration run's samples, handed out one at a time in order to whichever worker is free:
/// a worker slowed down (by another process on its core, or by samples that cost more) then
/// does fewer samples instead of holding the others back at the end. Who runs what does not
/// change the statistics (merging is exact). After a sample fails, nothing more is handed out,
/// and the failure reported is that of the first failing sample in order, whatever the timing:
/// every sample before it was handed out before it, and ran to its end.
final class SampleQueue: @unchecked Sendable {
  private let indices: [Int]
  private let lock = NSLock()
  private var next = 0
  private var failures: [(position: Int, error: any Error)] = []

  /// The samples `indices` of a source, in that order.
  init(_ indices: [Int]) {
    self.indices = indices
  }

  /// The next sample's position in the run and its index in the source; nil when all are
  /// handed out or one has failed.
  func take() -> (position: Int, index: Int)? {
    lock.lock()
    defer { lock.unlock() }
    guard failures.isEmpty, next < indices.count else { return nil }
    next += 1
    return (next - 1, indices[next - 1])
  }

  /// Records that the sample at `position` failed with `error`.
  func fail(at position: Int, _ error: any Error) {
    lock.lock()
    defer { lock.unlock() }
    failures.append((position, error))
  }

  /// Rethrows the failure of the earliest failed sample, if any failed.
  func rethrowFirstFailure() throws {
    lock.lock()
    let first = failures.min { $0.position < $1.position }
    lock.unlock()
    if let first { throw first.error }
  }
}
