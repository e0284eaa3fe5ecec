// The threads that run the runtime's parallel loops: they spin briefly between loops, then sleep.

import CKilnKernels
import Foundation
import Synchronization

/// Worker threads shared by every parallel loop of the runtime (`parallelChunks`).
///
/// A CNN at batch 1 runs hundreds of short parallel loops per inference, each a few tens of
/// microseconds long. Waking a sleeping thread for each (as Dispatch does) costs about as much
/// as the work, so a worker that finishes a loop spins for a short while (`spinTime`) waiting for
/// the next one, and only then sleeps. One loop runs at a time: a loop submitted while another
/// runs (from another executor, or nested inside a chunk) runs on its caller's thread alone.
final class WorkerPool: @unchecked Sendable {
  /// One worker per core beside the caller's, started on first use.
  static let shared = WorkerPool(workers: max(ProcessInfo.processInfo.activeProcessorCount - 1, 0))

  /// How long an idle worker waits for the next loop before it sleeps.
  private static let spinTime = Duration.microseconds(500)

  private let workerCount: Int
  private var started = false
  private let submission = NSLock()
  private let sleep = NSCondition()

  // The loop being run. Written by the submitter before `generation` is published, read by
  // workers after they see it; `slots` admits at most the loop's helpers.
  private var body: ((Int) -> Void)?
  private var chunkCount = 0
  private let generation = Atomic<Int>(0)
  private let slots = Atomic<Int>(0)
  private let nextChunk = Atomic<Int>(0)
  private let unfinished = Atomic<Int>(0)
  private let departed = Atomic<Int>(0)
  private let sleepers = Atomic<Int>(0)

  init(workers: Int) { workerCount = workers }

  /// Calls `body(chunk)` for every chunk in `0..<chunks`, on the caller's thread and up to
  /// `helpers` workers; returns when all chunks are done.
  func run(chunks: Int, helpers: Int, _ body: (Int) -> Void) {
    let helpers = min(helpers, workerCount, chunks - 1)
    guard helpers > 0, submission.try() else {
      for chunk in 0..<chunks { body(chunk) }
      return
    }
    defer { submission.unlock() }
    startWorkersIfNeeded()
    withoutActuallyEscaping(body) { body in
      self.body = body
      chunkCount = chunks
      nextChunk.store(0, ordering: .relaxed)
      unfinished.store(chunks, ordering: .relaxed)
      departed.store(0, ordering: .relaxed)
      slots.store(helpers, ordering: .releasing)
      generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
      if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
        sleep.lock()
        sleep.broadcast()
        sleep.unlock()
      }
      runChunks()
      while unfinished.load(ordering: .acquiring) > 0 { kiln_cpu_relax() }
      // Close the loop to latecomers, then wait for the helpers that joined to leave it.
      let unused = max(slots.exchange(0, ordering: .acquiringAndReleasing), 0)
      while departed.load(ordering: .acquiring) < helpers - unused { kiln_cpu_relax() }
      self.body = nil
    }
  }

  /// Takes chunks of the current loop until none are left.
  private func runChunks() {
    guard let body else { return }
    while true {
      let chunk = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
      if chunk >= chunkCount { return }
      body(chunk)
      unfinished.wrappingSubtract(1, ordering: .releasing)
    }
  }

  private func startWorkersIfNeeded() {
    guard !started else { return }
    started = true
    // The generation before the first loop is published: a worker that starts after it was
    // published still sees that loop as new and joins it (a long first loop, such as
    // `concurrentResults`' jobs, would otherwise run on the caller alone).
    let initial = generation.load(ordering: .relaxed)
    for index in 0..<workerCount {
      let thread = Thread { [unowned self] in self.workerLoop(after: initial) }
      thread.name = "kiln-worker-\(index)"
      thread.start()
    }
  }

  private func workerLoop(after initial: Int) {
    var seen = initial
    while true {
      seen = waitForLoop(after: seen)
      guard slots.wrappingSubtract(1, ordering: .acquiringAndReleasing).oldValue > 0 else { continue }
      runChunks()
      departed.wrappingAdd(1, ordering: .releasing)
    }
  }

  /// Spins until a loop newer than `seen` is published, sleeping once `spinTime` has passed;
  /// returns the new generation.
  private func waitForLoop(after seen: Int) -> Int {
    let deadline = ContinuousClock.now + Self.spinTime
    var spins = 0
    while true {
      let current = generation.load(ordering: .acquiring)
      if current != seen { return current }
      spins += 1
      kiln_cpu_relax()
      if spins % 256 == 0, ContinuousClock.now > deadline {
        sleep.lock()
        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        while generation.load(ordering: .sequentiallyConsistent) == seen { sleep.wait() }
        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        sleep.unlock()
      }
    }
  }
}
