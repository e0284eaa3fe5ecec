// Scan: runs a body subgraph over slices of its scan inputs, carrying state between steps.

import KilnIR

extension KernelFamily {
  /// Scan. From opset 9: state variables, then `num_scan_inputs` inputs sliced along
  /// scan_input_axes (default 0, negative from 11) in scan_input_directions (1: last slice
  /// first); the body's extra outputs stacked along scan_output_axes, in scan_output_directions
  /// (1: prepended). Opset 8's batched form (axis 0 a batch, the scan axis 1, `directions`)
  /// runs the same scan per batch entry; its sequence_lens may only give the full length.
  static let scan = KernelFamily { registry in
    registry.register("Scan", scanKernel)
  }

  private static func scanKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let body = try subgraph("body", invocation)
    let scanInputs = invocation.int("num_scan_inputs", default: 0)
    let first = invocation.opset < 9 ? 1 : 0
    let values = try (first..<max(first, invocation.inputs.count)).map { try invocation.input($0) }
    let stateCount = values.count - scanInputs
    guard scanInputs >= 1, stateCount >= 0, body.inputs.count == values.count,
      body.outputs.count >= stateCount
    else {
      throw invocation.failure("body signature does not fit \(values.count) inputs with \(scanInputs) scanned")
    }
    let states = Array(values[..<stateCount]), scanned = Array(values[stateCount...])
    let scanOutputCount = body.outputs.count - stateCount
    guard invocation.opset < 9 else {
      let run = ScanRun(
        body: body, invocation: invocation,
        inputAxes: invocation.ints("scan_input_axes") ?? Array(repeating: 0, count: scanInputs),
        inputDirections: invocation.ints("scan_input_directions") ?? Array(repeating: 0, count: scanInputs),
        outputAxes: invocation.ints("scan_output_axes") ?? Array(repeating: 0, count: scanOutputCount),
        outputDirections: invocation.ints("scan_output_directions") ?? Array(repeating: 0, count: scanOutputCount))
      return try run.callAsFunction(states: states, scanned: scanned)
    }
    return try batchedScan(body, states, scanned, scanOutputCount, invocation)
  }

  /// Opset 8's Scan: axis 0 of every input and output is a batch, scanned inputs are sliced
  /// along axis 1, and each batch entry runs on its own.
  private static func batchedScan(
    _ body: Graph, _ states: [HostTensor], _ scanned: [HostTensor], _ scanOutputCount: Int,
    _ invocation: KernelInvocation
  ) throws -> [HostTensor?] {
    let all = states + scanned
    guard let batch = all.first?.shape.first, all.allSatisfy({ $0.shape.first == batch }) else {
      throw invocation.failure("inputs must share a leading batch axis")
    }
    if let lengths = invocation.optionalInput(0) {
      let sequence = scanned[0].rank > 1 ? scanned[0].shape[1] : -1
      guard try invocation.intValues(of: lengths).allSatisfy({ $0 == sequence }) else {
        throw invocation.failure("sequence_lens shorter than the scanned axis are not supported")
      }
    }
    let run = ScanRun(
      body: body, invocation: invocation,
      inputAxes: Array(repeating: 0, count: scanned.count),
      inputDirections: invocation.ints("directions") ?? Array(repeating: 0, count: scanned.count),
      outputAxes: Array(repeating: 0, count: scanOutputCount),
      outputDirections: Array(repeating: 0, count: scanOutputCount))
    var perEntry: [[HostTensor]] = []
    for entry in 0..<batch {
      let outputs = try run(
        states: states.map { try ScanRun.slice($0, axis: 0, at: entry) },
        scanned: scanned.map { try ScanRun.slice($0, axis: 0, at: entry) })
      perEntry.append(try presentOutputs(outputs, invocation))
    }
    return try (0..<(states.count + scanOutputCount)).map { index in
      try stack(perEntry.map { $0[index] }, emptyType: nil, invocation)
    }
  }
}

/// One Scan over unbatched inputs: the body, and the axes and directions of its scanned
/// inputs and outputs.
struct ScanRun {
  let body: Graph
  let invocation: KernelInvocation
  let inputAxes: [Int], inputDirections: [Int]
  let outputAxes: [Int], outputDirections: [Int]

  /// The final states followed by the stacked scan outputs.
  func callAsFunction(states: [HostTensor], scanned: [HostTensor]) throws -> [HostTensor?] {
    let scanOutputCount = body.outputs.count - states.count
    guard inputAxes.count == scanned.count, inputDirections.count == scanned.count,
      outputAxes.count == scanOutputCount, outputDirections.count == scanOutputCount,
      (inputDirections + outputDirections).allSatisfy({ $0 == 0 || $0 == 1 })
    else { throw invocation.failure("scan axes or directions do not match the scanned values") }
    let axes = try zip(scanned, inputAxes).map { try invocation.axis($1, rank: $0.rank) }
    let lengths = zip(scanned, axes).map { $0.shape[$1] }
    guard let length = lengths.first, lengths.allSatisfy({ $0 == length }) else {
      throw invocation.failure("scanned inputs differ in length: \(lengths)")
    }
    var carried = states
    var slices = [[HostTensor]](repeating: [], count: scanOutputCount)
    for step in 0..<length {
      let feeds = try zip(scanned, axes).enumerated().map { index, pair in
        try Self.slice(pair.0, axis: pair.1, at: inputDirections[index] == 1 ? length - 1 - step : step)
      }
      let outputs = try KernelFamily.presentOutputs(invocation.runSubgraph(body, carried + feeds), invocation)
      carried = Array(outputs[..<states.count])
      for index in 0..<scanOutputCount { slices[index].append(outputs[states.count + index]) }
    }
    let stacked = try slices.enumerated().map { index, outputSlices in
      let ordered: [HostTensor] = outputDirections[index] == 1 ? outputSlices.reversed() : outputSlices
      let declared = body.outputs[states.count + index].type
      let sliceRank = outputSlices.first?.rank ?? declared?.tensor?.shape?.staticSizes?.count ?? 0
      let axis = try invocation.axis(outputAxes[index], rank: sliceRank + 1)
      return try KernelFamily.stack(ordered, axis: axis, emptyType: declared, invocation)
    }
    return carried + stacked
  }

  /// Position `index` of `tensor` along `axis`, that axis removed.
  static func slice(_ tensor: HostTensor, axis: Int, at index: Int) throws -> HostTensor {
    var shape = tensor.shape
    guard axis < shape.count, (0..<shape[axis]).contains(index) else {
      throw KilnError.internalError("slice \(index) of axis \(axis) is outside \(tensor.shape)")
    }
    shape[axis] = 1
    let result = try HostTensor(zeros: tensor.dataType, shape: shape)
    try KernelFamily.copyBlocks(from: tensor, axis: axis, range: index..<(index + 1), into: result, at: 0)
    shape.remove(at: axis)
    return try result.reshaped(shape)
  }
}
