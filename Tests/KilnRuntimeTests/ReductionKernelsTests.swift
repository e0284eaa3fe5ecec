// Reductions and ArgMax/ArgMin: axes forms per opset, keepdims, empty axes, bad axes.

import KilnIR
import KilnRuntime
import Testing

/// Runs the standard kernel for `op` at `opset` on `inputs` and returns all its outputs.
func kernelOutputs(
  _ op: String, opset: Int64, _ inputs: [HostTensor?], attributes: [Attribute] = []
) throws -> [HostTensor?] {
  let node = Node(name: "n", opType: op, attributes: attributes)
  guard let kernel = KernelRegistry.standard.kernel(for: node) else {
    throw KilnError.internalError("no kernel for \(op)")
  }
  return try kernel(KernelInvocation(node: node, opset: opset, inputs: inputs))
}

private var matrix: HostTensor { get throws { try HostTensor(shape: [2, 3], values: [Float(1), 2, 3, 4, 5, 6]) } }

@Test func reduceSumTakesAxesAsAttributeBefore13AndInputAfter() throws {
  let old = try kernelOutputs("ReduceSum", opset: 11, [matrix], attributes: [Attribute("axes", .ints([1]))])
  #expect(old[0]?.shape == [2, 1])
  #expect(old[0]?.scalars(as: Float.self) == [6, 15])
  let new = try kernelOutputs(
    "ReduceSum", opset: 13, [matrix, try HostTensor(shape: [1], values: [Int64(-2)])],
    attributes: [Attribute("keepdims", .int(0))])
  #expect(new[0]?.shape == [3])
  #expect(new[0]?.scalars(as: Float.self) == [5, 7, 9])
}

@Test func emptyAxesReduceEverythingUnlessNoop() throws {
  let all = try kernelOutputs("ReduceMean", opset: 18, [matrix], attributes: [Attribute("keepdims", .int(0))])
  #expect(all[0]?.shape == [])
  #expect(all[0]?.scalars(as: Float.self) == [3.5])
  let noop = try kernelOutputs(
    "ReduceMax", opset: 18, [matrix, try HostTensor(shape: [0], values: [Int64]())],
    attributes: [Attribute("noop_with_empty_axes", .int(1))])
  #expect(noop[0]?.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
  let squares = try kernelOutputs(
    "ReduceSumSquare", opset: 18, [matrix], attributes: [Attribute("noop_with_empty_axes", .int(1))])
  #expect(squares[0]?.scalars(as: Float.self) == [1, 4, 9, 16, 25, 36])
}

@Test func eachReductionComputesItsValue() throws {
  let axes = [Attribute("axes", .ints([0])), Attribute("keepdims", .int(0))]
  let cases: [(String, [Float])] = [
    ("ReduceMax", [4, 5, 6]), ("ReduceMin", [1, 2, 3]), ("ReduceProd", [4, 10, 18]),
    ("ReduceL1", [5, 7, 9]), ("ReduceSumSquare", [17, 29, 45]),
  ]
  for (op, expected) in cases {
    #expect(try kernelOutputs(op, opset: 13, [matrix], attributes: axes)[0]?.scalars(as: Float.self) == expected)
  }
  let l2 = try kernelOutputs("ReduceL2", opset: 13, [matrix], attributes: axes)[0]?.scalars(as: Float.self)
  #expect(l2?.first.map { abs($0 - Float(17).squareRoot()) < 1e-6 } == true)
  let logSumExp = try kernelOutputs(
    "ReduceLogSumExp", opset: 13, [try HostTensor(shape: [2], values: [Float(1000), 1000])])
  #expect(logSumExp[0]?.scalars(as: Float.self).first.map { abs($0 - 1000.6931) < 1e-3 } == true)
}

@Test func integerReductionsKeepTheirType() throws {
  let values = try HostTensor(shape: [3], values: [Int64(7), -2, 5])
  #expect(try kernelOutputs("ReduceSum", opset: 11, [values])[0]?.scalars(as: Int64.self) == [10])
}

@Test func badReductionAxisIsAnError() {
  #expect(throws: KilnError.self) {
    try kernelOutputs("ReduceSum", opset: 11, [matrix], attributes: [Attribute("axes", .ints([2]))])
  }
  #expect(throws: KilnError.self) {
    try kernelOutputs("ReduceSum", opset: 13, [matrix, try HostTensor(shape: [1], values: [Int64.max])])
  }
}

@Test func argMaxAndArgMinPickFirstOrLastTie() throws {
  let data = try HostTensor(shape: [2, 3], values: [Float(3), 1, 3, 0, 5, 5])
  let first = try kernelOutputs("ArgMax", opset: 13, [data], attributes: [Attribute("axis", .int(1))])
  #expect(first[0]?.shape == [2, 1])
  #expect(first[0]?.scalars(as: Int64.self) == [0, 1])
  let last = try kernelOutputs(
    "ArgMax", opset: 13, [data],
    attributes: [Attribute("axis", .int(-1)), Attribute("select_last_index", .int(1)), Attribute("keepdims", .int(0))])
  #expect(last[0]?.scalars(as: Int64.self) == [2, 2])
  let min = try kernelOutputs("ArgMin", opset: 13, [data], attributes: [Attribute("keepdims", .int(0))])
  #expect(min[0]?.scalars(as: Int64.self) == [1, 0, 0])
  #expect(throws: KilnError.self) {
    try kernelOutputs("ArgMax", opset: 13, [data], attributes: [Attribute("axis", .int(5))])
  }
}
