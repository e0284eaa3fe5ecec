// TopK (k forms, largest/smallest, ties) and CumSum (exclusive, reverse).

import KilnIR
import KilnRuntime
import Testing

@Test func topKTakesKAsInputFrom10AndBreaksTiesBySmallerIndex() throws {
  let data = try HostTensor(shape: [2, 4], values: [Int64(1), 5, 5, 2, 9, 8, 7, 9])
  let result = try kernelOutputs("TopK", opset: 11, [data, try HostTensor(shape: [1], values: [Int64(2)])])
  #expect(result[0]?.shape == [2, 2])
  #expect(result[0]?.scalars(as: Int64.self) == [5, 5, 9, 9])
  #expect(result[1]?.scalars(as: Int64.self) == [1, 2, 0, 3])
}

@Test func topKSmallestAlongAxisZeroWithAttributeK() throws {
  let data = try HostTensor(shape: [3, 1], values: [Float(3), 1, 2])
  let old = try kernelOutputs("TopK", opset: 1, [data], attributes: [Attribute("k", .int(2)), Attribute("axis", .int(0))])
  #expect(old[0]?.scalars(as: Float.self) == [3, 2])
  let smallest = try kernelOutputs(
    "TopK", opset: 11, [data, try HostTensor(shape: [1], values: [Int64(2)])],
    attributes: [Attribute("axis", .int(0)), Attribute("largest", .int(0))])
  #expect(smallest[0]?.scalars(as: Float.self) == [1, 2])
  #expect(smallest[1]?.scalars(as: Int64.self) == [1, 2])
}

@Test func topKRejectsKLargerThanTheAxis() throws {
  let data = try HostTensor(shape: [2], values: [Float(1), 2])
  #expect(throws: KilnError.self) { try kernelOutputs("TopK", opset: 11, [data, try HostTensor(shape: [1], values: [Int64(3)])]) }
}

@Test func cumSumSupportsExclusiveAndReverse() throws {
  let data = try HostTensor(shape: [2, 3], values: [Int32(1), 2, 3, 4, 5, 6])
  let axis = try HostTensor(scalar: Int64(1))
  #expect(try kernelOutputs("CumSum", opset: 14, [data, axis])[0]?.scalars(as: Int32.self) == [1, 3, 6, 4, 9, 15])
  let both = try kernelOutputs(
    "CumSum", opset: 14, [data, axis], attributes: [Attribute("exclusive", .int(1)), Attribute("reverse", .int(1))])
  #expect(both[0]?.scalars(as: Int32.self) == [5, 3, 0, 11, 6, 0])
  #expect(throws: KilnError.self) { try kernelOutputs("CumSum", opset: 14, [data, try HostTensor(scalar: Int64(2))]) }
}
