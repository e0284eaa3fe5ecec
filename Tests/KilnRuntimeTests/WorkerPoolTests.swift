// The worker pool: a new pool's workers join its very first loop.

import Synchronization
import Testing

@testable import KilnRuntime

/// Each of a new pool's first two chunks waits (up to 5 s) until both have started: they can
/// only both see it when a worker, started by this very loop, joined it. A worker that read
/// the loop's generation only after the loop was published would have missed it, leaving
/// long jobs (`concurrentResults`' calibration workers) to run one after the other.
@Test func aNewPoolsWorkersJoinItsFirstLoop() {
  let pool = WorkerPool(workers: 1)
  let started = Atomic<Int>(0), met = Atomic<Int>(0)
  pool.run(chunks: 2, helpers: 1) { _ in
    started.wrappingAdd(1, ordering: .sequentiallyConsistent)
    let deadline = ContinuousClock.now + .seconds(5)
    while started.load(ordering: .sequentiallyConsistent) < 2, ContinuousClock.now < deadline {}
    if started.load(ordering: .sequentiallyConsistent) == 2 { met.wrappingAdd(1, ordering: .sequentiallyConsistent) }
  }
  #expect(met.load(ordering: .sequentiallyConsistent) == 2)
}
