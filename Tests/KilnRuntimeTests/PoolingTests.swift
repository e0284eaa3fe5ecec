// MaxPool, AveragePool, LpPool and the global pools on hand-computed cases.

import KilnIR
import KilnRuntime
import Testing

private func nineGrid() throws -> HostTensor { try linearFloats([1, 1, 3, 3], (1...9).map(Float.init)) }

@Test func maxPoolReturnsMaximaAndIndices() throws {
  let outputs = try runLinearKernel("MaxPool", [try nineGrid()], attributes: ["kernel_shape": .ints([2, 2])], outputs: 2)
  #expect(outputs[0]?.shape == [1, 1, 2, 2])
  #expect(outputs[0]?.scalars(as: Float.self) == [5, 6, 8, 9])
  #expect(outputs[1]?.scalars(as: Int64.self) == [4, 5, 7, 8])
  let ceiled = try runLinearKernel(
    "MaxPool", [try nineGrid()], attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])[0]
  #expect(ceiled?.scalars(as: Float.self) == [5, 6, 8, 9])
}

@Test func maxPoolIndicesInColumnMajorOrderAndIntegerData() throws {
  let x = try linearFloats([1, 1, 2, 3], [1, 2, 3, 4, 5, 6])
  let outputs = try runLinearKernel(
    "MaxPool", [x], attributes: ["kernel_shape": .ints([2, 2]), "storage_order": .int(1)], outputs: 2)
  #expect(outputs[1]?.scalars(as: Int64.self) == [3, 5])
  let bytes = try HostTensor(shape: [1, 1, 3], values: [UInt8(7), 200, 3])
  let pooled = try runLinearKernel("MaxPool", [bytes], attributes: ["kernel_shape": .ints([2])])[0]
  #expect(pooled?.scalars(as: UInt8.self) == [200, 200])
}

@Test func averagePoolCountsPaddingOnlyWhenAsked() throws {
  let x = try linearFloats([1, 1, 2, 2], [1, 2, 3, 4])
  let attributes: [String: AttributeValue] = ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]
  let excluded = try runLinearKernel("AveragePool", [x], attributes: attributes)[0]
  #expect(excluded?.scalars(as: Float.self) == [1, 2, 3, 4])
  let included = try runLinearKernel(
    "AveragePool", [x], attributes: attributes.merging(["count_include_pad": .int(1)]) { $1 })[0]
  #expect(included?.scalars(as: Float.self) == [0.25, 0.5, 0.75, 1])
}

@Test func lpPoolTakesTheNormOfEachWindow() throws {
  let y = try runLinearKernel("LpPool", [try linearFloats([1, 1, 2], [3, 4])], attributes: ["kernel_shape": .ints([2])])[0]
  #expect(y?.scalars(as: Float.self) == [5])
}

@Test func globalPoolsReduceEachChannel() throws {
  let x = try linearFloats([1, 2, 2], [1, 3, 5, 7])
  let average = try runLinearKernel("GlobalAveragePool", [x])[0]
  #expect(average?.shape == [1, 2, 1])
  #expect(average?.scalars(as: Float.self) == [2, 6])
  #expect(try runLinearKernel("GlobalMaxPool", [x])[0]?.scalars(as: Float.self) == [3, 7])
}

@Test func poolsRefuseMissingOrOversizedWindows() throws {
  let x = try linearFloats([1, 1, 2], [1, 2])
  #expect(throws: KilnError.self) { try runLinearKernel("MaxPool", [x]) }
  #expect(throws: KilnError.self) { try runLinearKernel("AveragePool", [x], attributes: ["kernel_shape": .ints([3])]) }
  #expect(throws: KilnError.self) { try runLinearKernel("GlobalAveragePool", [try linearFloats([2], [1, 2])]) }
}

@Test func poolsRefuseHostileKernelShapes() throws {
  let x = try linearFloats([1, 1, 1, 1, 1], [1])
  let huge = 1 << 29
  #expect(throws: KilnError.self) {
    try runLinearKernel(
      "MaxPool", [x], attributes: ["kernel_shape": .ints([Int64(huge), Int64(huge), Int64(huge)]), "pads": .ints([Int64](repeating: Int64(huge), count: 6))])
  }
  #expect(throws: KilnError.self) {
    try runLinearKernel("AveragePool", [x], attributes: ["kernel_shape": .ints([1, 1, 1]), "strides": .ints([0, 1, 1])])
  }
}
