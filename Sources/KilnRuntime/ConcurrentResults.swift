// Running a few independent jobs at once and collecting their results in order.

import Foundation
import KilnIR

/// Runs `body(0) ... body(count - 1)` at once on up to `count` threads (the caller's and the
/// runtime's workers, at most one per core) and returns the results in index order; when jobs
/// throw, the error of the lowest index is rethrown, so the outcome does not depend on timing.
/// `body` must only share what it reads (each job writes its own state, or locks). The jobs run
/// on `WorkerPool.shared`, whose workers spin briefly between calls: a caller that runs two
/// small models per sample (validation) hands each sample over without waking a sleeping
/// thread. A job's own parallel loops then run on its thread alone.
public func concurrentResults<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
  try withoutActuallyEscaping(body) { body in
    let jobs = ConcurrentJobs(body: body, count: count)
    WorkerPool.shared.run(chunks: count, helpers: count - 1) { jobs.run($0) }
    return try jobs.results()
  }
}

/// The jobs of one `concurrentResults` call and their outcomes, each set once under the lock.
private final class ConcurrentJobs<T>: @unchecked Sendable {
  private let body: (Int) throws -> T
  private let lock = NSLock()
  private var outcomes: [Result<T, any Error>?]

  init(body: @escaping (Int) throws -> T, count: Int) {
    self.body = body
    outcomes = Array(repeating: nil, count: count)
  }

  func run(_ index: Int) {
    let outcome = Result { try body(index) }
    lock.lock()
    outcomes[index] = outcome
    lock.unlock()
  }

  func results() throws -> [T] {
    try outcomes.map { outcome in
      guard let outcome else { throw KilnError.internalError("a concurrent job did not run") }
      return try outcome.get()
    }
  }
}
