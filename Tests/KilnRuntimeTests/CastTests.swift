// Cast, CastLike and Expand kernels.

import KilnIR
import KilnRuntime
import Testing

private func to(_ type: DataType) -> [Attribute] { [Attribute("to", .int(Int64(type.rawValue)))] }

@Test func castConvertsBetweenTypes() throws {
  let x = try floats([-2.7, 0, 1.5, 300])
  #expect(
    try runKernel("Cast", [x], attributes: to(.int32)).scalars(as: Int32.self) == [-2, 0, 1, 300])
  #expect(
    try runKernel("Cast", [x], attributes: to(.bool)).scalars(as: Bool.self) == [
      true, false, true, true,
    ])
  #expect(
    try runKernel("Cast", [x], attributes: to(.double)).scalars(as: Double.self) == [
      Double(Float(-2.7)), 0, 1.5, 300,
    ])
  #expect(
    try runKernel("Cast", [x], attributes: to(.float16)).scalars(as: Float16.self) == [
      -2.7, 0, 1.5, 300,
    ])
  let ints = try HostTensor(shape: [3], values: [Int64(-1), 256, 1 << 40])
  #expect(
    try runKernel("Cast", [ints], attributes: to(.uint8)).scalars(as: UInt8.self) == [255, 0, 0])
  #expect(
    try runKernel("Cast", [ints], attributes: to(.float)).scalars(as: Float.self) == [
      -1, 256, 1_099_511_627_776,
    ])
  let hostile = try floats([.nan, .infinity, -1e30])
  #expect(
    try runKernel("Cast", [hostile], attributes: to(.int64)).scalars(as: Int64.self) == [
      0, 0, Int64.min,
    ])
  let like = try runKernel("CastLike", [x, try HostTensor(scalar: Int8(0))])
  #expect(like.dataType == .int8 && like.scalars(as: Int8.self) == [-2, 0, 1, 44])
}

@Test func expandBroadcastsToTheGivenShape() throws {
  let x = try floats([1, 2, 3], [3, 1])
  let shape = try HostTensor(shape: [3], values: [Int64(2), 1, 2])
  let result = try runKernel("Expand", [x, shape])
  #expect(result.shape == [2, 3, 2])
  #expect(result.scalars(as: Float.self) == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
  let smaller = try runKernel("Expand", [x, try HostTensor(shape: [1], values: [Int64(1)])])
  #expect(smaller.shape == [3, 1])
}

@Test func castAndExpandBadInputsAreErrors() throws {
  #expect(throws: KilnError.self) {
    try runKernel("Cast", [try floats([1])], attributes: to(.string))
  }
  #expect(throws: KilnError.self) { try runKernel("Cast", [try floats([1])]) }
  let x = try floats([1, 2, 3])
  #expect(throws: KilnError.self) {
    try runKernel("Expand", [x, try HostTensor(shape: [1], values: [Int64(2)])])
  }
  #expect(throws: KilnError.self) {
    try runKernel("Expand", [x, try HostTensor(shape: [1], values: [Int64(-1)])])
  }
  #expect(throws: KilnError.self) { try runKernel("Expand", [x, try floats([3])]) }
  #expect(throws: KilnError.self) {
    try runKernel("Expand", [x, try HostTensor(shape: [2], values: [Int64.max, Int64.max])])
  }
}
