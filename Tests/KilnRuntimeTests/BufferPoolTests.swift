// The pool that recycles tensor memory.

import Testing

@testable import KilnRuntime

@Test func releasedBuffersAreReusedBySize() throws {
  let pool = BufferPool(capacity: 1 << 20)
  let size = BufferPool.minimumSize
  let first = try #require(pool.allocate(size))
  pool.release(first, size: size)
  #expect(pool.allocate(size) == first)
  let other = try #require(pool.allocate(2 * size))
  #expect(other != first)
  pool.release(other, size: 2 * size)
  pool.release(first, size: size)
}

@Test func aFullPoolSendsIdleBuffersBackInsteadOfGrowing() throws {
  let size = BufferPool.minimumSize
  let pool = BufferPool(capacity: 3 * size)
  let (a, b) = (try #require(pool.allocate(2 * size)), try #require(pool.allocate(2 * size)))
  pool.release(a, size: 2 * size)
  pool.release(b, size: 2 * size)  // over capacity: `a` goes back to the system, `b` stays
  let reused = try #require(pool.allocate(2 * size))
  #expect(reused == b)
  let large = try #require(pool.allocate(8 * size), "a size over the capacity is still allocated, just never kept")
  pool.release(large, size: 8 * size)
  pool.release(reused, size: 2 * size)
}
