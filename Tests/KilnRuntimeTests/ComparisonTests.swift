// Comparison, logic and Where kernels.

import KilnIR
import KilnRuntime
import Testing

@Test func comparisonsBroadcastAndGiveBools() throws {
  let a = try floats([1, 2, 3, .nan])
  let b = try HostTensor(scalar: Float(2))
  #expect(try runKernel("Equal", [a, b]).scalars(as: Bool.self) == [false, true, false, false])
  #expect(try runKernel("Less", [a, b]).scalars(as: Bool.self) == [true, false, false, false])
  #expect(
    try runKernel("LessOrEqual", [a, b]).scalars(as: Bool.self) == [true, true, false, false])
  #expect(try runKernel("Greater", [a, b]).scalars(as: Bool.self) == [false, false, true, false])
  #expect(
    try runKernel("GreaterOrEqual", [a, b]).scalars(as: Bool.self) == [false, true, true, false])
  let ints = try runKernel(
    "Equal",
    [
      try HostTensor(shape: [2, 1], values: [Int64(1), 2]),
      try HostTensor(shape: [2], values: [Int64(2), 1]),
    ])
  #expect(ints.shape == [2, 2] && ints.scalars(as: Bool.self) == [false, true, true, false])
  let bools = try runKernel(
    "Equal",
    [
      try HostTensor(shape: [2], values: [true, false]),
      try HostTensor(shape: [2], values: [true, true]),
    ])
  #expect(bools.scalars(as: Bool.self) == [true, false])
}

@Test func logicOpsWorkOnBools() throws {
  let a = try HostTensor(shape: [2, 2], values: [false, false, true, true])
  let b = try HostTensor(shape: [2], values: [false, true])
  #expect(try runKernel("And", [a, b]).scalars(as: Bool.self) == [false, false, false, true])
  #expect(try runKernel("Or", [a, b]).scalars(as: Bool.self) == [false, true, true, true])
  #expect(try runKernel("Xor", [a, b]).scalars(as: Bool.self) == [false, true, true, false])
  #expect(try runKernel("Not", [b]).scalars(as: Bool.self) == [true, false])
}

@Test func whereBroadcastsAllThreeInputs() throws {
  let condition = try HostTensor(shape: [2, 1], values: [true, false])
  let x = try HostTensor(shape: [3], values: [Int64(1), 2, 3])
  let y = try HostTensor(scalar: Int64(-1))
  let result = try runKernel("Where", [condition, x, y])
  #expect(result.shape == [2, 3] && result.scalars(as: Int64.self) == [1, 2, 3, -1, -1, -1])
  let half = try runKernel(
    "Where",
    [
      try HostTensor(shape: [2], values: [false, true]),
      try HostTensor(shape: [2], values: [Float16(1), 2]), try HostTensor(scalar: Float16(0)),
    ])
  #expect(half.scalars(as: Float16.self) == [0, 2])
}

@Test func comparisonAndLogicBadInputsAreErrors() throws {
  #expect(throws: KilnError.self) {
    try runKernel("Less", [try floats([1]), try HostTensor(scalar: Int32(1))])
  }
  #expect(throws: KilnError.self) { try runKernel("And", [try floats([1]), try floats([1])]) }
  #expect(throws: KilnError.self) { try runKernel("Not", [try floats([1])]) }
  #expect(throws: KilnError.self) {
    try runKernel("Where", [try floats([1]), try floats([1]), try floats([1])])
  }
  #expect(throws: KilnError.self) {
    try runKernel(
      "Where",
      [try HostTensor(shape: [2], values: [true, false]), try floats([1, 2, 3]), try floats([1])])
  }
}
