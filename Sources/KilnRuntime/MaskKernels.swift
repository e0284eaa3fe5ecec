// Kernels between indices and masks: OneHot, NonZero and Compress.

import KilnIR

extension KernelFamily {
  /// OneHot (indices of any numeric type, truncated to integers, negative ones counted from
  /// depth, out-of-range ones hot nowhere; depth a one-element tensor of any numeric type;
  /// values [off, on] of any type; the depth axis inserted at `axis`), NonZero (the
  /// row-major positions of the nonzero elements as an int64 [rank, count]; a scalar counts as
  /// one element of rank 1) and Compress (the slices along `axis`, or the elements of the
  /// flattened input, whose Boolean condition is true; a shorter condition drops the rest).
  static let masks = KernelFamily { registry in
    registry.register("OneHot", oneHotKernel)
    registry.register("NonZero", nonZeroKernel)
    registry.register("Compress", compressKernel)
  }

  private static func oneHotKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let (indices, values) = (try invocation.input(0), try invocation.input(2))
    let depth = try oneHotDepth(try invocation.input(1), invocation)
    guard values.elementCount == 2 else {
      throw invocation.failure("needs values [off, on] of two elements, got \(values.shape)")
    }
    let axis = try invocation.axis(invocation.int("axis", default: -1), rank: indices.rank + 1)
    var shape = indices.shape
    shape.insert(depth, at: axis)
    let result = try HostTensor(zeros: values.dataType, shape: shape)
    try result.fill(with: values)  // the first element of values is the off value
    let size = try values.elementSize()
    let lanes = Lanes(
      outer: indices.shape[..<axis].reduce(1, *), length: depth, inner: indices.shape[axis...].reduce(1, *))
    for (position, value) in try invocation.doubleValues(of: indices).enumerated() {
      guard let hot = hotPosition(value, depth: depth) else { continue }
      let (outer, inner) = position.quotientAndRemainder(dividingBy: lanes.inner)
      (result.buffer.pointer + lanes.index(outer, hot, inner) * size)
        .copyMemory(from: values.buffer.pointer + size, byteCount: size)
    }
    return [result]
  }

  /// OneHot's depth: a positive whole number of classes, truncated from any numeric type.
  private static func oneHotDepth(_ tensor: HostTensor, _ invocation: KernelInvocation) throws -> Int {
    let values = try invocation.doubleValues(of: tensor)
    guard values.count == 1, let value = values.first, value >= 1, value < 1e15 else {
      throw invocation.failure("needs depth to be one positive number, got \(values.prefix(4))")
    }
    return Int(value)
  }

  /// Where an index is hot along a depth axis: truncated toward zero, negative counted from
  /// the end; nil when it is out of range or not a number.
  private static func hotPosition(_ value: Double, depth: Int) -> Int? {
    guard value.magnitude < Double(depth) + 1 else { return nil }
    let index = Int(value.rounded(.towardZero))
    let wrapped = index < 0 ? index + depth : index
    return (0..<depth).contains(wrapped) ? wrapped : nil
  }

  private static func nonZeroKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard let values = x.doubleValues() else {
      throw invocation.failure("does not support element type \(x.dataType.name)")
    }
    let shape = x.rank == 0 ? [1] : x.shape
    let strides = HostTensor.strides(of: shape)
    let positions = values.indices.filter { values[$0] != 0 }
    // Row a of the result holds coordinate a of every nonzero element.
    let coordinates = shape.indices.flatMap { axis in positions.map { Int64($0 / strides[axis] % shape[axis]) } }
    return [try HostTensor(shape: [shape.count, positions.count], values: coordinates)]
  }

  private static func compressKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let (input, condition) = (try invocation.input(0), try invocation.input(1))
    guard condition.dataType == .bool, condition.rank == 1 else {
      throw invocation.failure("needs a 1-D bool condition, got \(condition.dataType.name) \(condition.shape)")
    }
    let flat = invocation.node.attribute("axis") == nil
    let data = flat ? try invocation.reshape(input, to: [input.elementCount]) : input
    let axis = flat ? 0 : try invocation.axis(invocation.int("axis", default: 0), rank: data.rank)
    let lanes = Lanes(shape: data.shape, axis: axis)
    guard condition.elementCount <= lanes.length else {
      throw invocation.failure("condition of \(condition.elementCount) is longer than the \(lanes.length) slices")
    }
    let mask = condition.elements(as: Bool.self)
    let chosen = mask.indices.filter { mask[$0] }
    var shape = data.shape
    shape[axis] = chosen.count
    let result = try HostTensor(zeros: data.dataType, shape: shape)
    let sliceBytes = lanes.inner * (try data.elementSize())
    for outer in 0..<lanes.outer {
      for (slot, position) in chosen.enumerated() {
        (result.buffer.pointer + (outer * chosen.count + slot) * sliceBytes)
          .copyMemory(from: data.buffer.pointer + (outer * lanes.length + position) * sliceBytes, byteCount: sliceBytes)
      }
    }
    return [result]
  }
}
