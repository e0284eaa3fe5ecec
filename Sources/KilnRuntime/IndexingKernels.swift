// Kernels that read or write elements at positions given by an index tensor: Gather, GatherElements, GatherND, ScatterND, ScatterElements.

import Foundation
import KilnIR

extension KernelFamily {
  /// Gathers and scatters by element size (any element type; the add/mul/max/min scatter
  /// reductions need a numeric type). Every index is bounds-checked and negative indices count
  /// from the end; a bad index is an error naming the node.
  static let indexing = KernelFamily { registry in
    registry.register("Gather", gatherKernel)
    registry.register("GatherElements", gatherElementsKernel)
    registry.register("GatherND", gatherNDKernel)
    registry.register("ScatterND", scatterNDKernel)
    registry.register("ScatterElements", scatterElementsKernel)
    registry.register("Scatter", scatterElementsKernel)
  }

  private static func gatherKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let indices = try invocation.input(1)
    let axis = try invocation.axis(invocation.int("axis", default: 0), rank: data.rank)
    let positions = try invocation.checkedIndices(indices, dim: data.shape[axis])
    let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
    let output = try HostTensor(zeros: data.dataType, shape: shape)
    let size = try data.elementSize()
    let outer = data.shape[..<axis].reduce(1, *)
    let inner = data.shape[(axis + 1)...].reduce(1, *) * size
    guard output.elementCount > 0 else { return [output] }
    for block in 0..<outer {
      for (slot, position) in positions.enumerated() {
        (output.buffer.pointer + (block * positions.count + slot) * inner).copyMemory(
          from: data.buffer.pointer + (block * data.shape[axis] + position) * inner,
          byteCount: inner)
      }
    }
    return [output]
  }

  private static func gatherElementsKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let indices = try invocation.input(1)
    let axis = try invocation.axis(invocation.int("axis", default: 0), rank: data.rank)
    let sources = try invocation.elementOffsets(
      indices, into: data, axis: axis, extent: indices.shape)
    let output = try HostTensor(zeros: data.dataType, shape: indices.shape)
    let size = try data.elementSize()
    for (position, source) in sources.enumerated() {
      (output.buffer.pointer + position * size).copyMemory(
        from: data.buffer.pointer + source * size, byteCount: size)
    }
    return [output]
  }

  private static func scatterElementsKernel(_ invocation: KernelInvocation) throws -> [HostTensor?]
  {
    let data = try invocation.input(0)
    let indices = try invocation.input(1)
    let updates = try invocation.input(2)
    let axis = try invocation.axis(invocation.int("axis", default: 0), rank: data.rank)
    guard updates.shape == indices.shape, updates.dataType == data.dataType else {
      throw invocation.failure("updates must match the indices' shape and the data's type")
    }
    let targets = try invocation.elementOffsets(
      indices, into: data, axis: axis, extent: indices.shape)
    let output = try data.copy()
    let reduction = try ScatterReduction(invocation)
    for (position, target) in targets.enumerated() {
      try reduction.apply(from: updates, at: position, to: output, at: target, count: 1)
    }
    return [output]
  }

  private static func gatherNDKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let indices = try invocation.input(1)
    let batchDims = invocation.int("batch_dims", default: 0)
    let plan = try NDPlan(invocation, data: data, indices: indices, batchDims: batchDims)
    let shape = Array(indices.shape.dropLast()) + Array(data.shape[(batchDims + plan.depth)...])
    let output = try HostTensor(zeros: data.dataType, shape: shape)
    let size = try data.elementSize()
    for (slot, offset) in plan.offsets.enumerated() where plan.sliceCount > 0 {
      (output.buffer.pointer + slot * plan.sliceCount * size).copyMemory(
        from: data.buffer.pointer + offset * size, byteCount: plan.sliceCount * size)
    }
    return [output]
  }

  private static func scatterNDKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let indices = try invocation.input(1)
    let updates = try invocation.input(2)
    let plan = try NDPlan(invocation, data: data, indices: indices, batchDims: 0)
    let expected = Array(indices.shape.dropLast()) + Array(data.shape[plan.depth...])
    guard updates.shape == expected, updates.dataType == data.dataType else {
      throw invocation.failure("updates have shape \(updates.shape), expected \(expected)")
    }
    let output = try data.copy()
    let reduction = try ScatterReduction(invocation)
    for (slot, offset) in plan.offsets.enumerated() {
      try reduction.apply(
        from: updates, at: slot * plan.sliceCount, to: output, at: offset, count: plan.sliceCount)
    }
    return [output]
  }
}

/// Where the index tuples of GatherND/ScatterND point: the element offset of each addressed
/// slice of the data, and the slice's element count.
private struct NDPlan {
  let depth: Int
  let sliceCount: Int
  let offsets: [Int]

  init(_ invocation: KernelInvocation, data: HostTensor, indices: HostTensor, batchDims: Int) throws
  {
    guard let depth = indices.shape.last, indices.rank >= 1, batchDims >= 0,
      batchDims < indices.rank, batchDims + depth <= data.rank,
      Array(indices.shape[..<batchDims]) == Array(data.shape[..<batchDims])
    else {
      throw invocation.failure("indices of shape \(indices.shape) do not fit data \(data.shape)")
    }
    let values = try invocation.intValues(of: indices)
    let strides = data.strides
    let batchSize = data.shape[batchDims...].reduce(1, *)
    let tuplesPerBatch = indices.shape[batchDims..<(indices.rank - 1)].reduce(1, *)
    var offsets: [Int] = []
    for tuple in 0..<indices.shape.dropLast().reduce(1, *) {
      var offset = tuple / max(tuplesPerBatch, 1) * batchSize
      for level in 0..<depth {
        let dim = data.shape[batchDims + level]
        let raw = values[tuple * depth + level]
        let index = raw < 0 ? raw + dim : raw
        guard index >= 0, index < dim else {
          throw invocation.failure("index \(raw) is out of range for \(dim)")
        }
        offset += index * strides[batchDims + level]
      }
      offsets.append(offset)
    }
    self.depth = depth
    self.sliceCount = data.shape[(batchDims + depth)...].reduce(1, *)
    self.offsets = offsets
  }
}

/// How a scatter combines an update with the element already there.
private enum ScatterReduction: String {
  case none, add, mul, max, min

  init(_ invocation: KernelInvocation) throws {
    let name = invocation.string("reduction", default: "none")
    guard let reduction = ScatterReduction(rawValue: name) else {
      throw invocation.failure("unknown reduction '\(name)'")
    }
    self = reduction
  }

  /// Combines `count` elements of `source` from `sourceStart` into `target` from `targetStart`.
  func apply(
    from source: HostTensor, at sourceStart: Int, to target: HostTensor, at targetStart: Int,
    count: Int
  ) throws {
    guard self != .none else {
      let size = try source.elementSize()
      (target.buffer.pointer + targetStart * size).copyMemory(
        from: source.buffer.pointer + sourceStart * size, byteCount: count * size)
      return
    }
    struct Combiner: NumericVisitor {
      let reduction: ScatterReduction, source: HostTensor, target: HostTensor
      let sourceStart: Int, targetStart: Int, count: Int
      func visit<T: NumericElement>(_ type: T.Type) throws {
        let from = source.elements(as: T.self)
        let into = target.mutableElements(as: T.self)
        for offset in 0..<count {
          let (old, new) = (into[targetStart + offset], from[sourceStart + offset])
          into[targetStart + offset] = reduction.combine(old, new)
        }
      }
    }
    try target.dataType.accept(
      Combiner(
        reduction: self, source: source, target: target,
        sourceStart: sourceStart, targetStart: targetStart, count: count))
  }

  private func combine<T: NumericElement>(_ old: T, _ new: T) -> T {
    switch self {
    case .none: return new
    case .max: return Swift.max(old, new)
    case .min: return Swift.min(old, new)
    case .add, .mul:
      if let integer = old as? any FixedWidthInteger, let result = wrapping(integer, new) as? T {
        return result
      }
      let (a, b) = (HostTensor.double(old), HostTensor.double(new))
      return HostTensor.element(self == .add ? a + b : a * b)
    }
  }

  /// Integer add or multiply, wrapping on overflow as two's-complement hardware does.
  private func wrapping<I: FixedWidthInteger>(_ old: I, _ new: Any) -> I? {
    guard let new = new as? I else { return nil }
    return self == .add ? old &+ new : old &* new
  }
}

extension KernelInvocation {
  /// The values of an index tensor, each checked against `dim` and made non-negative.
  func checkedIndices(_ indices: HostTensor, dim: Int) throws -> [Int] {
    try intValues(of: indices).map { raw in
      let index = raw < 0 ? raw + dim : raw
      guard index >= 0, index < dim else {
        throw failure("index \(raw) is out of range for \(dim)")
      }
      return index
    }
  }

  /// For GatherElements/ScatterElements: the element offset in `data` addressed by each
  /// position of `indices` (same rank, no larger than `data` off `axis`), its coordinate
  /// along `axis` replaced by the index there.
  func elementOffsets(_ indices: HostTensor, into data: HostTensor, axis: Int, extent: [Int]) throws
    -> [Int]
  {
    guard indices.rank == data.rank,
      zip(indices.shape, data.shape).enumerated().allSatisfy({
        $0.offset == axis || $0.element.0 <= $0.element.1
      })
    else { throw failure("indices of shape \(indices.shape) do not fit data \(data.shape)") }
    let values = try checkedIndices(indices, dim: data.shape[axis])
    let strides = data.strides
    var coordinate = [Int](repeating: 0, count: indices.rank)
    return values.map { value in
      var offset = 0
      for dimension in coordinate.indices {
        offset += (dimension == axis ? value : coordinate[dimension]) * strides[dimension]
      }
      HostTensor.advance(&coordinate, within: extent)
      return offset
    }
  }
}

extension HostTensor {
  /// A copy of this tensor in a fresh buffer the caller may write.
  func copy() throws -> HostTensor {
    let output = try HostTensor(zeros: dataType, shape: shape)
    let bytes = try elementSize() * elementCount
    if bytes > 0 { output.buffer.pointer.copyMemory(from: buffer.pointer, byteCount: bytes) }
    return output
  }
}
