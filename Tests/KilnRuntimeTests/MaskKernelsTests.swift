// OneHot (wrapping, out-of-range indices, axis, depth type), NonZero and Compress (axis,
// flattened, short condition).

import KilnIR
import KilnRuntime
import Testing

@Test func oneHotWrapsNegativeIndicesAndLeavesOutOfRangeOnesCold() throws {
  let indices = try HostTensor(shape: [3], values: [Int64(0), -1, 3])
  let result = try runKernel("OneHot", [indices, try floats([3], []), try floats([0, 1])], opset: 11)
  #expect(result.shape == [3, 3])
  #expect(result.scalars(as: Float.self) == [1, 0, 0, 0, 0, 1, 0, 0, 0])
}

@Test func oneHotInsertsTheDepthAxisWhereAsked() throws {
  let indices = try floats([1, 0])
  let values = try HostTensor(shape: [2], values: [Int64(5), 9])
  let result = try runKernel(
    "OneHot", [indices, try HostTensor(scalar: Int32(2)), values], attributes: [Attribute("axis", .int(0))], opset: 11)
  #expect(result.shape == [2, 2])
  #expect(result.scalars(as: Int64.self) == [5, 9, 9, 5])
}

@Test func oneHotRefusesBadDepthValuesAndAxis() throws {
  let indices = try HostTensor(shape: [1], values: [Int64(0)])
  #expect(throws: KilnError.self) { try runKernel("OneHot", [indices, try floats([0], []), try floats([0, 1])]) }
  #expect(throws: KilnError.self) { try runKernel("OneHot", [indices, try floats([2], []), try floats([0, 1, 2])]) }
  #expect(throws: KilnError.self) {
    try runKernel("OneHot", [indices, try floats([2], []), try floats([0, 1])], attributes: [Attribute("axis", .int(2))])
  }
}

@Test func nonZeroListsCoordinatesInRowMajorOrder() throws {
  let mask = try HostTensor(shape: [2, 2], values: [true, false, true, true])
  let result = try runKernel("NonZero", [mask])
  #expect(result.shape == [2, 3])
  #expect(result.scalars(as: Int64.self) == [0, 1, 1, 0, 0, 1])
  let none = try runKernel("NonZero", [try floats([0, 0])])
  #expect(none.shape == [1, 0])
}

@Test func compressSelectsSlicesOrFlattenedElements() throws {
  let data = try floats([1, 2, 3, 4, 5, 6], [3, 2])
  let rows = try runKernel(
    "Compress", [data, try HostTensor(shape: [3], values: [false, true, true])], attributes: [Attribute("axis", .int(0))])
  #expect(rows.shape == [2, 2])
  #expect(rows.scalars(as: Float.self) == [3, 4, 5, 6])
  let columns = try runKernel(
    "Compress", [data, try HostTensor(shape: [1], values: [false])], attributes: [Attribute("axis", .int(-1))])
  #expect(columns.shape == [3, 0])
  let flat = try runKernel("Compress", [data, try HostTensor(shape: [5], values: [false, true, false, false, true])])
  #expect(flat.shape == [2])
  #expect(flat.scalars(as: Float.self) == [2, 5])
}

@Test func compressRefusesLongOrNonBooleanConditions() throws {
  let data = try floats([1, 2, 3, 4, 5, 6], [3, 2])
  #expect(throws: KilnError.self) {
    try runKernel("Compress", [data, try HostTensor(shape: [3], values: [true, true, true])], attributes: [Attribute("axis", .int(1))])
  }
  #expect(throws: KilnError.self) { try runKernel("Compress", [data, try floats([1, 0])]) }
}
