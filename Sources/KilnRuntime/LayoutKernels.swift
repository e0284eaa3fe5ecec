// Kernels that copy elements into a new layout: Transpose, Concat, Split, Slice, Tile.

import Foundation
import KilnIR

extension KernelFamily {
  /// Type-agnostic copies by element size: Transpose (strided), Concat and Split (block copies
  /// along an axis; split as attribute, input, or num_outputs), Slice (attributes before opset
  /// 10, inputs from it; negative steps; ONNX clamping), and Tile.
  static let layout = KernelFamily { registry in
    registry.register("Transpose", transposeKernel)
    registry.register("Concat", concatKernel)
    registry.register("Split", splitKernel)
    registry.register("Slice", sliceKernel)
    registry.register("Tile", tileKernel)
  }

  private static func transposeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let perm = invocation.ints("perm") ?? Array((0..<data.rank).reversed())
    guard perm.sorted() == Array(0..<data.rank) else {
      throw invocation.failure("perm \(perm) is not a permutation of the \(data.rank) axes")
    }
    let strides = data.strides
    return [try data.strided(shape: perm.map { data.shape[$0] }, strides: perm.map { strides[$0] })]
  }

  private static func concatKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let parts = try invocation.inputs.indices.map { try invocation.input($0) }
    guard let axisValue = invocationAxis(invocation) else {
      throw invocation.failure("needs an axis attribute")
    }
    return [try concatenate(parts, axis: axisValue, invocation)]
  }

  /// `parts` (one element type, equal shapes off `axis`) joined along `axis`.
  static func concatenate(
    _ parts: [HostTensor], axis axisValue: Int, _ invocation: KernelInvocation
  ) throws -> HostTensor {
    guard let first = parts.first else { throw invocation.failure("needs at least one input") }
    let axis = try invocation.axis(axisValue, rank: first.rank)
    var shape = first.shape
    shape[axis] = 0
    for part in parts {
      var other = part.shape
      guard part.dataType == first.dataType, other.count == shape.count else {
        throw invocation.failure("inputs differ in element type or rank")
      }
      shape[axis] += other[axis]
      other[axis] = shape[axis]
      guard other == shape else { throw invocation.failure("inputs differ off axis \(axis)") }
    }
    let output = try HostTensor(zeros: first.dataType, shape: shape)
    var offset = 0
    for part in parts {
      try copyBlocks(from: part, axis: axis, range: 0..<part.shape[axis], into: output, at: offset)
      offset += part.shape[axis]
    }
    return output
  }

  private static func invocationAxis(_ invocation: KernelInvocation) -> Int? {
    // Concat-1 made the axis optional, defaulting to 1.
    guard case .int(let value)? = invocation.node.attribute("axis") else {
      return invocation.opset < 4 ? 1 : nil
    }
    return Int(value)
  }

  private static func splitKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let axis = try invocation.axis(invocation.int("axis", default: 0), rank: data.rank)
    let lengths = try splitLengths(invocation, dim: data.shape[axis])
    var start = 0
    return try lengths.map { length in
      var shape = data.shape
      shape[axis] = length
      let output = try HostTensor(zeros: data.dataType, shape: shape)
      try copyBlocks(from: data, axis: axis, range: start..<(start + length), into: output, at: 0)
      start += length
      return output
    }
  }

  private static func splitLengths(_ invocation: KernelInvocation, dim: Int) throws -> [Int] {
    let given =
      invocation.opset < 13
      ? invocation.ints("split")
      : try invocation.optionalInput(1).map { try invocation.intValues(of: $0) }
    if let given {
      guard given.allSatisfy({ $0 >= 0 }), given.reduce(0, +) == dim else {
        throw invocation.failure("split \(given) does not add up to \(dim)")
      }
      return given
    }
    let parts =
      invocation.opset >= 18
      ? invocation.int("num_outputs", default: invocation.node.outputs.count)
      : invocation.node.outputs.count
    guard parts > 0 else { throw invocation.failure("needs at least one output") }
    if invocation.opset < 18 {
      guard dim % parts == 0 else {
        throw invocation.failure("cannot split \(dim) evenly into \(parts)")
      }
      return Array(repeating: dim / parts, count: parts)
    }
    let chunk = (dim + parts - 1) / parts
    return (0..<parts).map { max(0, min(chunk, dim - $0 * chunk)) }
  }

  /// Copies `range` along `axis` of `source` into `target` from position `offset` on that axis;
  /// the two shapes must agree off `axis`.
  static func copyBlocks(
    from source: HostTensor, axis: Int, range: Range<Int>, into target: HostTensor, at offset: Int
  ) throws {
    let size = try source.elementSize()
    let outer = source.shape[..<axis].reduce(1, *)
    let inner = source.shape[(axis + 1)...].reduce(1, *) * size
    let sourceRow = source.shape[axis] * inner
    let targetRow = target.shape[axis] * inner
    let bytes = range.count * inner
    guard range.lowerBound >= 0, range.upperBound <= source.shape[axis],
      offset + range.count <= target.shape[axis], bytes > 0
    else { return }
    for block in 0..<outer {
      (target.buffer.pointer + block * targetRow + offset * inner).copyMemory(
        from: source.buffer.pointer + block * sourceRow + range.lowerBound * inner, byteCount: bytes
      )
    }
  }

  private static func sliceKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let (starts, ends, axesList, steps) = try sliceArguments(invocation, rank: data.rank)
    guard starts.count == ends.count, axesList.count == starts.count, steps.count == starts.count
    else {
      throw invocation.failure("starts, ends, axes and steps differ in length")
    }
    let axes = try invocation.uniqueAxes(axesList, rank: data.rank)
    var coordinates: [[Int?]] = data.shape.map { (0..<$0).map { $0 } }
    for (position, axis) in axes.enumerated() {
      guard steps[position] != 0 else { throw invocation.failure("steps cannot be 0") }
      coordinates[axis] = sliceCoordinates(
        start: starts[position], end: ends[position], step: steps[position], dim: data.shape[axis]
      ).map { $0 }
    }
    return [try data.remapped(shape: coordinates.map(\.count)) { coordinates[$0][$1] }]
  }

  private static func sliceArguments(
    _ invocation: KernelInvocation, rank: Int
  ) throws -> (starts: [Int], ends: [Int], axes: [Int], steps: [Int]) {
    if invocation.opset < 10 {
      guard let starts = invocation.ints("starts"), let ends = invocation.ints("ends") else {
        throw invocation.failure("needs starts and ends")
      }
      let axes = invocation.ints("axes") ?? Array(0..<starts.count)
      return (starts, ends, axes, Array(repeating: 1, count: starts.count))
    }
    let starts = try invocation.intValues(of: invocation.input(1))
    let ends = try invocation.intValues(of: invocation.input(2))
    let axes =
      try invocation.optionalInput(3).map { try invocation.intValues(of: $0) }
      ?? Array(0..<starts.count)
    let steps =
      try invocation.optionalInput(4).map { try invocation.intValues(of: $0) }
      ?? Array(repeating: 1, count: starts.count)
    return (starts, ends, axes, steps)
  }

  /// The coordinates a slice visits along one axis, clamped as ONNX specifies.
  static func sliceCoordinates(start: Int, end: Int, step: Int, dim: Int) -> [Int] {
    func resolve(_ value: Int, _ low: Int, _ high: Int) -> Int {
      min(max(value < 0 ? value + dim : value, low), high)
    }
    if step > 0 {
      return Array(stride(from: resolve(start, 0, dim), to: resolve(end, 0, dim), by: step))
    }
    return Array(stride(from: resolve(start, 0, dim - 1), to: resolve(end, -1, dim - 1), by: step))
  }

  private static func tileKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let repeats = try invocation.intValues(of: invocation.input(1))
    guard repeats.count == data.rank, repeats.allSatisfy({ $0 >= 0 }) else {
      throw invocation.failure("repeats \(repeats) must be \(data.rank) non-negative counts")
    }
    var shape: [Int] = []
    for (dim, count) in zip(data.shape, repeats) {
      let (product, overflow) = dim.multipliedReportingOverflow(by: count)
      guard !overflow else { throw invocation.failure("repeats \(repeats) overflow") }
      shape.append(product)
    }
    _ = try HostTensor.elementCount(of: shape)
    return [try data.remapped(shape: shape) { axis, position in position % data.shape[axis] }]
  }
}

extension HostTensor {
  /// A tensor of `shape` whose coordinate `position` along each axis comes from coordinate
  /// `coordinate(axis, position)` of this one (nil: the fill value). The output is allocated
  /// (so its size checked) before any coordinate is asked for.
  func remapped(
    shape: [Int], fill: HostTensor? = nil, coordinate: (_ axis: Int, _ position: Int) throws -> Int?
  ) throws -> HostTensor {
    let output = try HostTensor(zeros: dataType, shape: shape)
    guard output.elementCount > 0 else { return output }
    let strides = self.strides
    let offsets = try shape.indices.map { axis in
      try (0..<shape[axis]).map { try coordinate(axis, $0).map { $0 * strides[axis] } }
    }
    return try remap(into: output, offsets: offsets, fill: fill)
  }

  /// A tensor of `shape` whose element at an index is this tensor's element at the sum over
  /// axes of `offsets[axis][coordinate]`.
  func remapped(shape: [Int], offsets: [[Int?]]) throws -> HostTensor {
    try remap(into: HostTensor(zeros: dataType, shape: shape), offsets: offsets, fill: nil)
  }

  /// The tensor of `shape` whose element at an index is this tensor's at the dot product of the
  /// index with `strides` (a transpose, a diagonal, any strided view). When this tensor or the
  /// result is empty, the (zero) result is made without building offset lists, which for a
  /// hostile [0, 2^40] shape would not fit in memory.
  func strided(shape: [Int], strides: [Int]) throws -> HostTensor {
    guard elementCount > 0, try HostTensor.elementCount(of: shape) > 0 else {
      return try HostTensor(zeros: dataType, shape: shape)
    }
    let offsets = zip(shape, strides).map { size, stride in (0..<size).map { Optional($0 * stride) } }
    return try remapped(shape: shape, offsets: offsets)
  }

  /// Fills `output` with this tensor's element at the sum over axes of
  /// `offsets[axis][coordinate]`, or `fill` (else zero) where any of them is nil. Offsets that
  /// could leave this tensor are refused before anything is read.
  private func remap(into output: HostTensor, offsets: [[Int?]], fill: HostTensor?) throws
    -> HostTensor
  {
    let shape = output.shape
    let size = try elementSize()
    guard output.elementCount > 0 else { return output }
    guard offsets.count == shape.count, zip(offsets, shape).allSatisfy({ $0.count == $1 }),
      offsets.allSatisfy({ $0.allSatisfy { ($0 ?? 0) >= 0 } }),
      offsets.reduce(0, { $0 + ($1.compactMap { $0 }.max() ?? 0) }) < max(elementCount, 1),
      fill.map({ $0.dataType == dataType && $0.elementCount >= 1 }) ?? true
    else { throw KilnError.internalError("remapping reads outside a tensor of shape \(shape)") }
    let source = buffer.pointer
    let target = output.buffer.pointer
    let hasElements = elementCount > 0
    let inner = offsets.last ?? [0]
    let contiguous = inner.enumerated().allSatisfy { column, offset in
      offset.map { $0 == (inner.first.flatMap { $0 } ?? -1) + column } ?? false
    }
    return try output.forEachRow(offsets: offsets) { position, base in
      if contiguous, hasElements, let base, let first = inner.first.flatMap({ $0 }) {
        (target + position * size).copyMemory(
          from: source + (base + first) * size, byteCount: inner.count * size)
        return
      }
      for (column, offset) in inner.enumerated() {
        let destination = target + (position + column) * size
        if hasElements, let base, let offset {
          destination.copyMemory(from: source + (base + offset) * size, byteCount: size)
        } else if let fill {
          destination.copyMemory(from: fill.buffer.pointer, byteCount: size)
        }
      }
    }
  }

  /// Visits the rows (innermost-axis runs) of this tensor in order, with the position of each
  /// row's first element and the summed outer-axis offsets (nil if any is nil); returns self.
  private func forEachRow(
    offsets: [[Int?]], _ body: (Int, Int?) throws -> Void
  ) throws -> HostTensor {
    guard rank > 0 else {
      try body(0, 0)
      return self
    }
    let rowLength = shape[rank - 1]
    var index = [Int](repeating: 0, count: rank - 1)
    var position = 0
    while position < elementCount {
      var base: Int? = 0
      for axis in index.indices {
        base = base.flatMap { sum in offsets[axis][index[axis]].map { sum + $0 } }
      }
      try body(position, base)
      position += rowLength
      var axis = rank - 2
      while axis >= 0 {
        index[axis] += 1
        if index[axis] < shape[axis] { break }
        index[axis] = 0
        axis -= 1
      }
    }
    return self
  }
}
