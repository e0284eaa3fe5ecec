// Memory that holds a runtime tensor's elements: owned and aligned, or borrowed from a mapping.

import Foundation
import KilnIR

/// The bytes of one runtime tensor. Owned buffers are 64-byte aligned, zero-filled unless
/// asked otherwise, and recycled through `BufferPool`; a buffer may instead borrow memory that
/// another object keeps alive (a mapped weight).
public final class TensorBuffer: @unchecked Sendable {
  /// The first byte.
  public let pointer: UnsafeMutableRawPointer
  /// The size in bytes.
  public let byteCount: Int
  private let owner: AnyObject?

  /// Allocates `byteCount` bytes, zeroed unless `zeroed` is false (for a kernel that writes
  /// every byte); a size the machine cannot provide is a `KilnError`, since shapes (and so
  /// sizes) can come from a hostile model.
  public init(byteCount: Int, zeroed: Bool = true) throws {
    let size = max(byteCount, 1)
    guard byteCount >= 0, let memory = BufferPool.shared.allocate(size) else {
      throw KilnError.badInput(
        "cannot allocate \(byteCount) bytes for a tensor", hint: "check the input shapes")
    }
    if zeroed { memset(memory, 0, size) }
    self.pointer = memory
    self.byteCount = byteCount
    self.owner = nil
  }

  /// Borrows `byteCount` bytes at `pointer`, kept alive by `owner`. Kernels never write to a
  /// tensor they did not allocate, so borrowed weights stay read-only in practice.
  public init(borrowing pointer: UnsafeRawPointer, byteCount: Int, owner: AnyObject) {
    self.pointer = UnsafeMutableRawPointer(mutating: pointer)
    self.byteCount = byteCount
    self.owner = owner
  }

  deinit {
    if owner == nil { BufferPool.shared.release(pointer, size: max(byteCount, 1)) }
  }
}
