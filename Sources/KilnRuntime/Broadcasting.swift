// Multidirectional (NumPy-style) broadcasting: result shapes and strided walks over operands.

import Dispatch
import KilnIR

/// How operands of given shapes broadcast together: the result shape, and a walk over the
/// result in innermost rows with each operand's offset. Dimensions of size 1 are dropped and
/// adjacent dimensions that every operand lays out contiguously are merged, so the walk does as
/// little index bookkeeping as possible.
struct BroadcastPlan {
  /// The broadcast result shape.
  let shape: [Int]
  /// The result element count.
  let count: Int
  /// Merged walk dimensions, and per operand its stride along each (0 where broadcast).
  private let dims: [Int]
  private let strides: [[Int]]

  /// The plan for `shapes`; throws when they do not broadcast.
  init(_ shapes: [[Int]], for invocation: KernelInvocation) throws {
    guard let shape = Self.broadcastShape(shapes) else {
      throw invocation.failure(
        "cannot broadcast shapes \(shapes.map { "\($0)" }.joined(separator: ", "))")
    }
    self.shape = shape
    self.count = try HostTensor.elementCount(of: shape)
    let aligned = shapes.map { Self.alignedStrides($0, rank: shape.count) }
    var dims: [Int] = []
    var strides = [[Int]](repeating: [], count: shapes.count)
    for axis in shape.indices where shape[axis] != 1 {
      let size = shape[axis]
      let mergeable =
        !dims.isEmpty
        && strides.indices.allSatisfy { operand in
          strides[operand][dims.count - 1] == aligned[operand][axis] * size
        }
      if mergeable {
        dims[dims.count - 1] *= size
        for operand in strides.indices { strides[operand][dims.count - 1] = aligned[operand][axis] }
      } else {
        dims.append(size)
        for operand in strides.indices { strides[operand].append(aligned[operand][axis]) }
      }
    }
    self.dims = dims
    self.strides = strides
  }

  /// The NumPy broadcast of `shapes`, or nil when two dimensions conflict.
  static func broadcastShape(_ shapes: [[Int]]) -> [Int]? {
    let rank = shapes.map(\.count).max() ?? 0
    var result = [Int](repeating: 1, count: rank)
    for shape in shapes {
      for (index, dim) in shape.enumerated() {
        let axis = rank - shape.count + index
        if result[axis] == 1 {
          result[axis] = dim
        } else if dim != 1 && dim != result[axis] {
          return nil
        }
      }
    }
    return result
  }

  /// Row-major strides of `shape` right-aligned to `rank`, 0 along broadcast dimensions.
  private static func alignedStrides(_ shape: [Int], rank: Int) -> [Int] {
    let own = HostTensor.strides(of: shape)
    let lead = rank - shape.count
    return (0..<rank).map { axis in
      axis >= lead && shape[axis - lead] != 1 ? own[axis - lead] : 0
    }
  }

  /// Elements in one innermost row of the walk.
  var rowLength: Int { dims.last ?? 1 }

  /// Operand `operand`'s stride along a row.
  func rowStride(_ operand: Int) -> Int { strides[operand].last ?? 0 }

  /// Calls `body(offsets, start)` for each innermost row: the operands' offsets of its first
  /// element and the result index it starts at. Rows are split over up to `threads` threads,
  /// so `body` must only write the row it is given.
  func forEachRow(threads: Int, _ body: ([Int], Int) -> Void) {
    guard count > 0 else { return }
    parallelChunks(count / rowLength, threads: threads, grain: chunkGrain(perItemWork: rowLength)) {
      forEachRow(in: $0, body)
    }
  }

  private func forEachRow(in rows: Range<Int>, _ body: ([Int], Int) -> Void) {
    let outer = max(dims.count - 1, 0)
    var index = [Int](repeating: 0, count: outer)
    var offsets = [Int](repeating: 0, count: strides.count)
    var remainder = rows.lowerBound
    for axis in (0..<outer).reversed() {
      index[axis] = remainder % dims[axis]
      remainder /= dims[axis]
      for operand in offsets.indices { offsets[operand] += strides[operand][axis] * index[axis] }
    }
    for row in rows {
      body(offsets, row * rowLength)
      var axis = outer - 1
      while axis >= 0 {
        index[axis] += 1
        for operand in offsets.indices { offsets[operand] += strides[operand][axis] }
        if index[axis] < dims[axis] { break }
        for operand in offsets.indices { offsets[operand] -= strides[operand][axis] * dims[axis] }
        index[axis] = 0
        axis -= 1
      }
    }
  }
}

/// Elements below which splitting work over threads costs more than it saves.
let minimumChunk = 1 << 15

/// The grain for `parallelChunks` over items that each cost about `work` element operations:
/// enough items per thread to make `minimumChunk` operations.
func chunkGrain(perItemWork work: Int) -> Int { max(1, minimumChunk / max(work, 1)) }

/// Calls `body` on consecutive ranges covering `0..<count`, concurrently on up to `threads`
/// threads when there are at least `grain` items per range. There are up to `perThread` ranges
/// per thread, taken in turn by whichever thread is free: a thread that starts late (waking,
/// or descheduled on a busy machine) then leaves its share to the others instead of holding
/// the whole loop back. Callers whose ranges cost more when smaller (GEMM blocks, which pack
/// their operands again) pass 1.
func parallelChunks(_ count: Int, threads: Int, grain: Int, perThread: Int = 4, _ body: (Range<Int>) -> Void) {
  let chunks = min(max(threads, 1) * max(perThread, 1), count / max(grain, 1))
  guard threads > 1, chunks > 1 else {
    body(0..<count)
    return
  }
  // Chunks write disjoint ranges of a result no one else sees yet.
  WorkerPool.shared.run(chunks: chunks, helpers: min(threads, chunks) - 1) { chunk in
    body((count * chunk / chunks)..<(count * (chunk + 1) / chunks))
  }
}

/// How operands of `countA` and `countB` elements fill a result of `resultCount` elements
/// without walking broadcast rows: each operand's step, 1 when it holds the result's elements
/// in order, 0 when it is one value for all; nil when broadcasting needs the row walk.
func elementSteps(_ countA: Int, _ countB: Int, resultCount: Int) -> (a: Int, b: Int)? {
  if countA == resultCount && countB == resultCount { return (1, 1) }
  if countB == 1 && countA == resultCount { return (1, 0) }
  if countA == 1 && countB == resultCount { return (0, 1) }
  return nil
}

/// `op` applied elementwise to `a` and `b` broadcast together, into a new tensor of `R`.
func broadcastMap<A: TensorElement, B: TensorElement, R: TensorElement>(
  _ a: HostTensor, _ b: HostTensor, for invocation: KernelInvocation, _ op: (A, B) -> R
) throws -> HostTensor {
  let plan = try BroadcastPlan([a.shape, b.shape], for: invocation)
  let result = try HostTensor(uninitialized: R.dataType, shape: plan.shape)
  let x = a.elements(as: A.self)
  let y = b.elements(as: B.self)
  let out = result.mutableElements(as: R.self)
  let threads = invocation.threads
  switch elementSteps(x.count, y.count, resultCount: out.count) {
  case (1, 1)?:
    elementChunks(out.count, threads) { for i in $0 { out[i] = op(x[i], y[i]) } }
  case (1, 0)?:
    let right = y[0]
    elementChunks(out.count, threads) { for i in $0 { out[i] = op(x[i], right) } }
  case (0, 1)?:
    let left = x[0]
    elementChunks(out.count, threads) { for i in $0 { out[i] = op(left, y[i]) } }
  default:
    let length = plan.rowLength
    let (sx, sy) = (plan.rowStride(0), plan.rowStride(1))
    plan.forEachRow(threads: invocation.threads) { offsets, start in
      for j in 0..<length {
        out[start + j] = op(x[offsets[0] + j * sx], y[offsets[1] + j * sy])
      }
    }
  }
  return result
}

/// `op` applied elementwise to three tensors broadcast together, into a new tensor of `R`.
func broadcastMap<A: TensorElement, B: TensorElement, C: TensorElement, R: TensorElement>(
  _ a: HostTensor, _ b: HostTensor, _ c: HostTensor, for invocation: KernelInvocation,
  _ op: (A, B, C) -> R
) throws -> HostTensor {
  let plan = try BroadcastPlan([a.shape, b.shape, c.shape], for: invocation)
  let result = try HostTensor(uninitialized: R.dataType, shape: plan.shape)
  let (x, y, z) = (a.elements(as: A.self), b.elements(as: B.self), c.elements(as: C.self))
  let out = result.mutableElements(as: R.self)
  let length = plan.rowLength
  let (sx, sy, sz) = (plan.rowStride(0), plan.rowStride(1), plan.rowStride(2))
  plan.forEachRow(threads: invocation.threads) { offsets, start in
    for j in 0..<length {
      out[start + j] = op(
        x[offsets[0] + j * sx], y[offsets[1] + j * sy], z[offsets[2] + j * sz])
    }
  }
  return result
}

/// `tensor` broadcast to `shape` (which the tensor's shape must broadcast into, both ways).
func broadcastExpand<T: TensorElement>(
  _ tensor: HostTensor, to shape: [Int], as type: T.Type, for invocation: KernelInvocation
) throws -> HostTensor {
  let plan = try BroadcastPlan([tensor.shape, shape], for: invocation)
  let result = try HostTensor(uninitialized: tensor.dataType, shape: plan.shape)
  let x = tensor.elements(as: T.self)
  let out = result.mutableElements(as: T.self)
  let length = plan.rowLength
  let stride = plan.rowStride(0)
  plan.forEachRow(threads: invocation.threads) { offsets, start in
    for j in 0..<length { out[start + j] = x[offsets[0] + j * stride] }
  }
  return result
}

/// `parallelChunks` over the elements of a result.
func elementChunks(_ count: Int, _ threads: Int, _ body: (Range<Int>) -> Void) {
  parallelChunks(count, threads: threads, grain: minimumChunk, body)
}
