// Expanding a sparse constant into its dense values, with every piece of its metadata checked.

import Foundation
import KilnIR

extension TFLiteSparsity {
  /// The dense bytes of a tensor of `dims` whose stored values, `elementSize` bytes each, are
  /// `values`; elements not stored are all-zero bytes (zero in every numeric type).
  ///
  /// An element's dense offset is linear in its coordinates at the levels: a step along a level
  /// of tensor dim `d` moves by `d`'s stride times its block size, a step inside a block by the
  /// stride of the dim the block splits. So the offsets are built level by level, each position
  /// carrying the offset its coordinates so far add up to, and the values land at the leaves'.
  /// Anything inconsistent (sizes that do not add up, segments that decrease, indices out of
  /// range or out of order) is a `.badInput` naming `name`.
  func densify(_ values: UnsafeRawBufferPointer, dims: [Int], elementSize: Int, tensor name: String) throws -> Data {
    let corrupt = { (why: String) in
      KilnError.badInput("sparse tensor '\(name)' \(why)", hint: "the model file may be truncated or corrupt")
    }
    let steps = try levelSteps(dims, corrupt)
    let stored = try storedCount(steps.map(\.extent), corrupt)
    guard values.count == stored * elementSize else {
      throw corrupt("has \(values.count) bytes of values but its dim_metadata reaches \(stored) of \(elementSize) bytes")
    }
    var offsets = [0]
    for (level, step) in zip(levels, steps) {
      offsets = try Self.expand(offsets, level, extent: step.extent, stride: step.stride, corrupt)
    }
    var dense = Data(count: dims.reduce(1, *) * elementSize)
    dense.withUnsafeMutableBytes { output in
      guard let target = output.baseAddress, let source = values.baseAddress else { return }
      for (index, offset) in offsets.enumerated() {
        target.advanced(by: offset * elementSize)
          .copyMemory(from: source.advanced(by: index * elementSize), byteCount: elementSize)
      }
    }
    return dense
  }

  /// Each level's extent (the size of the expanded dim it traverses) and the dense stride of
  /// one step along it, after checking that the traversal order, block map and dense sizes
  /// describe a tensor of `dims`.
  private func levelSteps(_ dims: [Int], _ corrupt: (String) -> KilnError) throws -> [(extent: Int, stride: Int)] {
    let rank = dims.count
    let expanded = rank + blockMap.count
    guard levels.count == expanded, traversalOrder.sorted() == Array(0..<expanded) else {
      throw corrupt(
        "has traversal_order \(traversalOrder) and \(levels.count) dim_metadata for \(rank) dims and \(blockMap.count) block dims")
    }
    guard blockMap.allSatisfy((0..<rank).contains), zip(blockMap, blockMap.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw corrupt("has block_map \(blockMap), which must list distinct dims of its \(rank) in increasing order")
    }
    var strides = Array(repeating: 1, count: rank)
    for axis in (0..<max(rank - 1, 0)).reversed() { strides[axis] = strides[axis + 1] * dims[axis + 1] }
    var extents = dims
    var steps = strides
    for (block, axis) in blockMap.enumerated() {
      guard let level = traversalOrder.firstIndex(of: rank + block), case .dense(let size) = levels[level], size > 0,
        dims[axis] % size == 0
      else { throw corrupt("splits dim \(axis) of size \(dims[axis]) into blocks that are not a dense size dividing it") }
      extents[axis] = dims[axis] / size
      steps[axis] = strides[axis] * size
      extents.append(size)
      steps.append(strides[axis])
    }
    return try levels.indices.map { level in
      let axis = traversalOrder[level]
      if case .dense(let size) = levels[level], size != extents[axis] {
        throw corrupt("has dense_size \(size) at level \(level), but the dim it traverses has \(extents[axis])")
      }
      return (extents[axis], steps[axis])
    }
  }

  /// How many values the levels reach, checking that each compressed level has one segment per
  /// position of the level above. Done before expanding, so no list grows past what the file holds.
  private func storedCount(_ extents: [Int], _ corrupt: (String) -> KilnError) throws -> Int {
    var positions = 1
    for (level, extent) in zip(levels.indices, extents) {
      switch levels[level] {
      case .dense:
        let (product, overflow) = positions.multipliedReportingOverflow(by: extent)
        guard !overflow else { throw corrupt("has more than \(Int.max) positions at level \(level)") }
        positions = product
      case .compressed(let segments, let indices):
        guard segments.count == positions + 1 else {
          throw corrupt("has \(segments.count) array_segments at level \(level), not \(positions + 1)")
        }
        positions = indices.count
      }
    }
    return positions
  }

  /// The offsets of the positions one level down from `offsets`, the positions of the level above.
  private static func expand(
    _ offsets: [Int], _ level: TFLiteSparseLevel, extent: Int, stride: Int, _ corrupt: (String) -> KilnError
  ) throws -> [Int] {
    guard case .compressed(let segments, let indices) = level else {
      return offsets.flatMap { base in (0..<extent).map { base + $0 * stride } }
    }
    guard segments.first == 0, segments.last == indices.count, zip(segments, segments.dropFirst()).allSatisfy({ $0 <= $1 })
    else {
      throw corrupt("has array_segments that do not rise from 0 to its \(indices.count) array_indices")
    }
    var result: [Int] = []
    result.reserveCapacity(indices.count)
    for (position, base) in offsets.enumerated() {
      var previous = -1
      for index in indices[segments[position]..<segments[position + 1]] {
        guard index > previous, index < extent else {
          throw corrupt("has array_indices out of order or past the dim's size \(extent) (index \(index))")
        }
        previous = index
        result.append(base + index * stride)
      }
    }
    return result
  }
}
