// If and Loop: ops that run subgraphs.

import KilnIR

extension KernelFamily {
  /// If (runs then_branch or else_branch) and Loop (trip count M and condition, both
  /// optional; loop-carried values; scan outputs stacked along a new first axis). Branch
  /// outputs and loop-carried values may be sequences or optionals; scan outputs are tensors.
  static let controlFlow = KernelFamily { registry in
    registry.registerValues("If", ifKernel)
    registry.registerValues("Loop", loopKernel)
  }

  private static func ifKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let condition = try invocation.scalar(try invocation.input(0), named: "cond") != 0
    let branch = try subgraph(condition ? "then_branch" : "else_branch", invocation)
    return try presentOutputs(invocation.runValueSubgraph(branch, []), invocation)
  }

  private static func loopKernel(_ invocation: KernelInvocation) throws -> [RuntimeValue?] {
    let body = try subgraph("body", invocation)
    let tripLimit = try invocation.optionalValue(0).map { Int64(try invocation.scalarInteger(try tensor($0, invocation), named: "trip count M")) }
    var condition = try invocation.optionalValue(1).map { try invocation.scalar(try tensor($0, invocation), named: "cond") != 0 } ?? true
    var carried = try (2..<max(2, invocation.values.count)).map { try invocation.value($0) }
    let scanCount = body.outputs.count - 1 - carried.count
    guard body.inputs.count == 2 + carried.count, scanCount >= 0 else {
      throw invocation.failure("body signature does not match \(carried.count) loop-carried values")
    }
    var scans = [[HostTensor]](repeating: [], count: scanCount)
    var iteration: Int64 = 0
    while condition, tripLimit.map({ iteration < $0 }) ?? true {
      let counters: [RuntimeValue?] = [.tensor(try HostTensor(scalar: iteration)), .tensor(try HostTensor(scalar: condition))]
      let outputs = try presentOutputs(invocation.runValueSubgraph(body, counters + carried), invocation)
      condition = try invocation.scalar(try tensor(outputs[0], invocation), named: "the body's condition") != 0
      carried = Array(outputs[1..<(1 + carried.count)])
      for index in 0..<scanCount {
        scans[index].append(try tensor(outputs[1 + carried.count + index], invocation))
      }
      iteration += 1
    }
    let stacked = try scans.enumerated().map { index, slices in
      try stack(slices, emptyType: body.outputs[1 + carried.count + index].type, invocation)
    }
    return carried + stacked.map(RuntimeValue.tensor)
  }

  static func subgraph(_ name: String, _ invocation: KernelInvocation) throws -> Graph {
    guard case .graph(let graph)? = invocation.node.attribute(name) else {
      throw invocation.failure("has no \(name) graph")
    }
    return graph
  }

  static func presentOutputs<Value>(
    _ outputs: [Value?], _ invocation: KernelInvocation
  ) throws -> [Value] {
    try outputs.map { output in
      guard let output else { throw invocation.failure("a subgraph output was not computed") }
      return output
    }
  }

  private static func tensor(_ value: RuntimeValue, _ invocation: KernelInvocation) throws -> HostTensor {
    guard let tensor = value.tensor else {
      throw invocation.failure("a trip count, condition or scan output is \(value.kindDescription), not a tensor")
    }
    return tensor
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
