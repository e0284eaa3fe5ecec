// Sequence and optional ops: building, reading, splitting into and joining sequences of tensors.

import KilnIR

extension KernelFamily {
  /// The ONNX sequence ops (SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceAt,
  /// SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence, SequenceMap) and the
  /// optional ops (Optional, OptionalHasElement, OptionalGetElement). Positions may be negative
  /// and count from the end, as in Python.
  static let sequences = KernelFamily { registry in
    registry.registerValues("SequenceEmpty") { _ in [.sequence([])] }
    registry.registerValues("SequenceConstruct", sequenceConstructKernel)
    registry.registerValues("SequenceInsert", sequenceInsertKernel)
    registry.registerValues("SequenceAt", sequenceAtKernel)
    registry.registerValues("SequenceErase", sequenceEraseKernel)
    registry.registerValues("SequenceLength") { invocation in
      [.tensor(try HostTensor(scalar: Int64(try invocation.sequence(0).count)))]
    }
    registry.registerValues("SplitToSequence", splitToSequenceKernel)
    registry.registerValues("ConcatFromSequence", concatFromSequenceKernel)
    registry.registerValues("SequenceMap", sequenceMapKernel)
    registry.registerValues("Optional") { invocation in
      [.optional(invocation.optionalValue(0))]
    }
    registry.registerValues("OptionalHasElement", optionalHasElementKernel)
    registry.registerValues("OptionalGetElement", optionalGetElementKernel)
  }

  private static func sequenceConstructKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let tensors = try invocation.values.indices.map { try invocation.input($0) }
    try checkOneType(tensors, invocation)
    return [.sequence(tensors)]
  }

  private static func sequenceInsertKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    var tensors = try invocation.sequence(0)
    let tensor = try invocation.input(1)
    try checkOneType(tensors + [tensor], invocation)
    let index = try position(invocation, input: 2, count: tensors.count, allowEnd: true) ?? tensors.count
    tensors.insert(tensor, at: index)
    return [.sequence(tensors)]
  }

  private static func sequenceAtKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let tensors = try invocation.sequence(0)
    guard let index = try position(invocation, input: 1, count: tensors.count, allowEnd: false) else {
      throw invocation.failure("needs input 1")
    }
    return [.tensor(tensors[index])]
  }

  private static func sequenceEraseKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    var tensors = try invocation.sequence(0)
    guard !tensors.isEmpty else { throw invocation.failure("cannot erase from an empty sequence") }
    let index = try position(invocation, input: 1, count: tensors.count, allowEnd: false) ?? tensors.count - 1
    tensors.remove(at: index)
    return [.sequence(tensors)]
  }

  /// The position in input `input` (a one-element int32 or int64 tensor) made non-negative, or
  /// nil when it is omitted. Valid positions are -count..<count, and count itself when
  /// `allowEnd` (inserting at the back).
  private static func position(
    _ invocation: KernelInvocation, input: Int, count: Int, allowEnd: Bool
  ) throws -> Int? {
    guard let tensor = invocation.optionalInput(input) else { return nil }
    let values = try invocation.intValues(of: tensor)
    guard values.count == 1, let value = values.first else {
      throw invocation.failure("position must hold one element, not \(values.count)")
    }
    let upper = allowEnd ? count : count - 1
    guard value >= -count, value <= upper else {
      throw invocation.failure("position \(value) is out of range for a sequence of \(count)")
    }
    return value < 0 ? value + count : value
  }

  /// Throws unless every tensor has the same element type.
  private static func checkOneType(_ tensors: [HostTensor], _ invocation: KernelInvocation) throws {
    guard let first = tensors.first?.dataType else { return }
    if let other = tensors.first(where: { $0.dataType != first }) {
      throw invocation.failure("sequence elements differ in type: \(first.name) and \(other.dataType.name)")
    }
  }

  private static func splitToSequenceKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let data = try invocation.input(0)
    let axis = try invocation.axis(invocation.int("axis", default: 0), rank: data.rank)
    let dim = data.shape[axis]
    let split = invocation.optionalInput(1)
    let lengths = try split.map { try splitLengths($0, dim: dim, invocation) } ?? Array(repeating: 1, count: dim)
    let squeeze = split == nil && invocation.int("keepdims", default: 1) == 0
    var start = 0
    return [.sequence(try lengths.map { length in
      var shape = data.shape
      shape[axis] = length
      let part = try HostTensor(zeros: data.dataType, shape: shape)
      try copyBlocks(from: data, axis: axis, range: start..<(start + length), into: part, at: 0)
      start += length
      if squeeze { shape.remove(at: axis) }
      return squeeze ? try part.reshaped(shape) : part
    })]
  }

  /// The part lengths a SplitToSequence `split` input gives: a scalar is a chunk size (the
  /// last chunk may be shorter), a 1-D tensor lists the lengths, which must add up to `dim`.
  private static func splitLengths(_ split: HostTensor, dim: Int, _ invocation: KernelInvocation) throws -> [Int] {
    let values = try invocation.intValues(of: split)
    if split.rank == 0, let chunk = values.first {
      guard chunk > 0 else { throw invocation.failure("split size must be positive, not \(chunk)") }
      return stride(from: 0, to: dim, by: chunk).map { min(chunk, dim - $0) }
    }
    let failure = invocation.failure("split \(values) does not add up to \(dim)")
    guard split.rank == 1, values.allSatisfy({ 0...dim ~= $0 }) else { throw failure }
    // Stopping past dim keeps the sum of lengths (each at most dim) from overflowing.
    var total = 0
    for value in values where total <= dim { total += value }
    guard total == dim else { throw failure }
    return values
  }

  private static func concatFromSequenceKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let tensors = try invocation.sequence(0)
    guard let first = tensors.first else { throw invocation.failure("cannot concatenate an empty sequence") }
    guard case .int(let axisAttribute)? = invocation.node.attribute("axis") else {
      throw invocation.failure("needs an axis attribute")
    }
    let axisValue = Int(axisAttribute)
    guard invocation.int("new_axis", default: 0) == 1 else {
      return [.tensor(try concatenate(tensors, axis: axisValue, invocation))]
    }
    // Stacking: each tensor gains a unit axis at `axis` (which may be rank), then they join.
    let axis = try invocation.axis(axisValue, rank: first.rank + 1)
    let stacked = try tensors.map { tensor in
      var shape = tensor.shape
      guard axis <= shape.count else { throw invocation.failure("sequence elements differ in rank") }
      shape.insert(1, at: axis)
      return try tensor.reshaped(shape)
    }
    return [.tensor(try concatenate(stacked, axis: axis, invocation))]
  }

  /// Runs the body once per position of the sequence inputs (which must be of one length);
  /// sequence inputs give their element at that position, tensor inputs themselves. Each body
  /// output is gathered into an output sequence.
  private static func sequenceMapKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let body = try subgraph("body", invocation)
    let inputs = try invocation.values.indices.map { try invocation.value($0) }
    let count = try invocation.sequence(0).count
    guard body.inputs.count == inputs.count else {
      throw invocation.failure("body takes \(body.inputs.count) inputs but the node has \(inputs.count)")
    }
    for input in inputs {
      if let other = input.sequence?.count, other != count {
        throw invocation.failure("sequence inputs differ in length: \(count) and \(other)")
      }
    }
    var outputs = [[HostTensor]](repeating: [], count: body.outputs.count)
    for position in 0..<count {
      let feeds: [RuntimeValue?] = inputs.map { input in input.sequence.map { .tensor($0[position]) } ?? input }
      for (index, output) in try invocation.runValueSubgraph(body, feeds).enumerated() {
        guard let tensor = output?.tensor else { throw invocation.failure("body output \(index) is not a tensor") }
        outputs[index].append(tensor)
      }
    }
    return outputs.map { .sequence($0) }
  }

  private static func optionalHasElementKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let present: Bool
    switch invocation.optionalValue(0) {
    case .optional(let element)?: present = element != nil
    case .some: present = true
    case nil: present = false
    }
    return [.tensor(try HostTensor(scalar: present))]
  }

  private static func optionalGetElementKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let value = try invocation.value(0)
    guard case .optional(let element) = value else { return [value] }
    guard let element else { throw invocation.failure("the optional input holds no value") }
    return [element]
  }
}
