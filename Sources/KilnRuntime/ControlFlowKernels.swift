// If and Loop: ops that run subgraphs.

import KilnIR

extension KernelFamily {
  /// If (runs then_branch or else_branch) and Loop (trip count M and condition, both
  /// optional; loop-carried values; scan outputs stacked along a new first axis). Tensors only.
  static let controlFlow = KernelFamily { registry in
    registry.register("If", ifKernel)
    registry.register("Loop", loopKernel)
  }

  private static func ifKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let condition = try truth(try invocation.input(0), invocation)
    let branch = try subgraph(condition ? "then_branch" : "else_branch", invocation)
    return try presentOutputs(invocation.runSubgraph(branch, []), invocation)
  }

  private static func loopKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let body = try subgraph("body", invocation)
    let tripLimit = try invocation.optionalInput(0).map { try scalarInt($0, invocation) }
    var condition = try invocation.optionalInput(1).map { try truth($0, invocation) } ?? true
    var carried = try (2..<max(2, invocation.inputs.count)).map { try invocation.input($0) }
    let scanCount = body.outputs.count - 1 - carried.count
    guard body.inputs.count == 2 + carried.count, scanCount >= 0 else {
      throw invocation.failure("body signature does not match \(carried.count) loop-carried values")
    }
    var scans = [[HostTensor]](repeating: [], count: scanCount)
    var iteration: Int64 = 0
    while condition, tripLimit.map({ iteration < $0 }) ?? true {
      let feeds: [HostTensor?] = [try HostTensor(scalar: iteration), try HostTensor(scalar: condition)] + carried
      let outputs = try presentOutputs(invocation.runSubgraph(body, feeds), invocation)
      condition = try truth(outputs[0], invocation)
      carried = Array(outputs[1..<(1 + carried.count)])
      for index in 0..<scanCount { scans[index].append(outputs[1 + carried.count + index]) }
      iteration += 1
    }
    let stacked = try scans.enumerated().map { index, slices in
      try stack(slices, emptyType: body.outputs[1 + carried.count + index].type, invocation)
    }
    return carried + stacked
  }

  static func subgraph(_ name: String, _ invocation: KernelInvocation) throws -> Graph {
    guard case .graph(let graph)? = invocation.node.attribute(name) else {
      throw invocation.failure("has no \(name) graph")
    }
    return graph
  }

  static func presentOutputs(
    _ outputs: [HostTensor?], _ invocation: KernelInvocation
  ) throws -> [HostTensor] {
    try outputs.map { output in
      guard let output else { throw invocation.failure("a subgraph output was not computed") }
      return output
    }
  }

  private static func truth(_ tensor: HostTensor, _ invocation: KernelInvocation) throws -> Bool {
    let values = try tensor.widenedToDouble()
    guard values.count == 1, let value = values.first else {
      throw invocation.failure("condition must hold one element, not \(values.count)")
    }
    return value != 0
  }

  private static func scalarInt(_ tensor: HostTensor, _ invocation: KernelInvocation) throws -> Int64 {
    guard tensor.dataType == .int64, tensor.elementCount == 1, let value = tensor.elements(as: Int64.self).first else {
      throw invocation.failure("trip count must be a single int64")
    }
    return value
  }

  /// `slices` (same type and shape) stacked along a new `axis` (default the first).
  static func stack(
    _ slices: [HostTensor], axis: Int = 0, emptyType: ValueType?, _ invocation: KernelInvocation
  ) throws -> HostTensor {
    guard let first = slices.first else {
      // No iteration ran: the body's declared slice shape, when static, gives the rest.
      var shape = emptyType?.tensor?.shape?.staticSizes?.map { Int($0) } ?? []
      shape.insert(0, at: min(axis, shape.count))
      return try HostTensor(zeros: emptyType?.tensor?.dataType ?? .float, shape: shape)
    }
    guard slices.allSatisfy({ $0.shape == first.shape && $0.dataType == first.dataType }) else {
      throw invocation.failure("scan outputs differ in shape or type between iterations")
    }
    var shape = first.shape, sliceShape = first.shape
    shape.insert(slices.count, at: axis)
    sliceShape.insert(1, at: axis)
    let result = try HostTensor(zeros: first.dataType, shape: shape)
    for (index, slice) in slices.enumerated() {
      try copyBlocks(from: slice.reshaped(sliceShape), axis: axis, range: 0..<1, into: result, at: index)
    }
    return result
  }
}
