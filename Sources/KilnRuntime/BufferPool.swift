// Recycled tensor memory: freed buffers wait for the next tensor of the same size.

import Foundation

/// Memory of freed tensor buffers, kept for reuse by exact byte size. A model allocates the
/// same sizes node after node and run after run, so most tensors find a buffer here instead
/// of faulting in (and zeroing) fresh pages from the system. Idle memory is bounded: a buffer
/// that would overflow `capacity` first sends every idle buffer back to the system.
final class BufferPool: @unchecked Sendable {
  /// The pool every owned tensor buffer of at least `minimumSize` bytes goes through.
  static let shared = BufferPool(capacity: 256 << 20)
  /// Smaller buffers come from and go back to malloc directly, which recycles them well.
  static let minimumSize = 16 << 10

  private let capacity: Int
  private let lock = NSLock()
  private var idle: [Int: [UnsafeMutableRawPointer]] = [:]
  private var idleBytes = 0

  init(capacity: Int) { self.capacity = capacity }

  /// A 64-byte aligned buffer of `size` bytes with unspecified contents, reused if one is idle.
  func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
    lock.lock()
    if size >= Self.minimumSize, let pointer = idle[size]?.popLast() {
      idleBytes -= size
      lock.unlock()
      return pointer
    }
    lock.unlock()
    var memory: UnsafeMutableRawPointer?
    return posix_memalign(&memory, 64, size) == 0 ? memory : nil
  }

  /// Takes back a buffer from `allocate`.
  func release(_ pointer: UnsafeMutableRawPointer, size: Int) {
    guard size >= Self.minimumSize else { return free(pointer) }
    lock.lock()
    var evicted: [UnsafeMutableRawPointer] = []
    if idleBytes + size > capacity {
      evicted = idle.values.flatMap { $0 }
      idle = [:]
      idleBytes = 0
    }
    let kept = size <= capacity
    if kept {
      idle[size, default: []].append(pointer)
      idleBytes += size
    }
    lock.unlock()
    for buffer in evicted { free(buffer) }
    if !kept { free(pointer) }
  }
}
