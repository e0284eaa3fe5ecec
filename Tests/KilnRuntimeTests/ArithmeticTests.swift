// Binary and variadic arithmetic kernels, and broadcasting through them.

import Foundation
import KilnIR
import KilnRuntime
import Testing

@Test func binaryOpsBroadcastBothWays() throws {
  let column = try floats([1, 2], [2, 1])
  let row = try floats([10, 20, 30], [3])
  let sum = try runKernel("Add", [column, row])
  #expect(sum.shape == [2, 3])
  #expect(sum.scalars(as: Float.self) == [11, 21, 31, 12, 22, 32])
  #expect(try runKernel("Sub", [row, column]).scalars(as: Float.self) == [9, 19, 29, 8, 18, 28])
  #expect(
    try runKernel("Mul", [column, try HostTensor(scalar: Float(3))]).scalars(as: Float.self) == [
      3, 6,
    ])
  #expect(
    try runKernel("Div", [try HostTensor(scalar: Float(1)), column]).scalars(as: Float.self) == [
      1, 0.5,
    ])
  let middle = try runKernel(
    "Add", [try floats([1, 2, 3, 4, 5, 6], [2, 1, 3]), try floats([0, 100], [1, 2, 1])])
  #expect(middle.shape == [2, 2, 3])
  #expect(middle.scalars(as: Float.self) == [1, 2, 3, 101, 102, 103, 4, 5, 6, 104, 105, 106])
  let empty = try runKernel("Add", [try floats([], [0, 3]), row])
  #expect(empty.shape == [0, 3] && empty.elementCount == 0)
}

@Test func integerArithmeticTruncatesWrapsAndNeverTraps() throws {
  let a = try HostTensor(shape: [4], values: [Int32(7), -7, Int32.min, 5])
  let b = try HostTensor(shape: [4], values: [Int32(2), 2, -1, 0])
  #expect(try runKernel("Div", [a, b]).scalars(as: Int32.self) == [3, -3, Int32.min, 0])
  #expect(try runKernel("Add", [a, a]).scalars(as: Int32.self) == [14, -14, 0, 10])
  #expect(try runKernel("Mul", [a, b]).scalars(as: Int32.self) == [14, -14, Int32.min, 0])
  let x = try HostTensor(shape: [4], values: [Int64(-4), 7, -7, 5])
  let y = try HostTensor(shape: [4], values: [Int64(3), -3, -3, 0])
  #expect(try runKernel("Mod", [x, y]).scalars(as: Int64.self) == [2, -2, -1, 0])
  let fmod = [Attribute("fmod", .int(1))]
  #expect(
    try runKernel("Mod", [x, y], attributes: fmod).scalars(as: Int64.self) == [-1, 1, -1, 0])
  let r = try runKernel("Mod", [try floats([-4.5, 7]), try floats([3, -3])], attributes: fmod)
  #expect(r.scalars(as: Float.self) == [-1.5, 1])
}

@Test func powKeepsTheBaseTypeForAnyExponentType() throws {
  let base = try floats([2, 3, 4])
  #expect(try runKernel("Pow", [base, try floats([2])]).scalars(as: Float.self) == [4, 9, 16])
  let intExponent = try HostTensor(shape: [3], values: [Int64(1), 2, 3])
  #expect(try runKernel("Pow", [base, intExponent]).scalars(as: Float.self) == [2, 9, 64])
  let intBase = try HostTensor(shape: [3], values: [Int32(2), 3, -2])
  let exponents = try HostTensor(shape: [3], values: [Int32(10), 2, -1])
  #expect(try runKernel("Pow", [intBase, exponents]).scalars(as: Int32.self) == [1024, 9, 0])
  let floatExponent = try runKernel("Pow", [intBase, try floats([0.5, 2, 2])])
  #expect(floatExponent.dataType == .int32 && floatExponent.scalars(as: Int32.self) == [1, 9, 4])
}

@Test func variadicOpsFoldAllInputsWithBroadcasting() throws {
  let a = try floats([1, 5, 3])
  let b = try floats([4, 2, 6])
  let c = try floats([0], [1])
  #expect(try runKernel("Sum", [a, b, c]).scalars(as: Float.self) == [5, 7, 9])
  #expect(try runKernel("Mean", [a, b, c]).scalars(as: Float.self) == [5 / 3, 7 / 3, 3])
  #expect(try runKernel("Max", [a, b, c]).scalars(as: Float.self) == [4, 5, 6])
  #expect(try runKernel("Min", [a, b, c]).scalars(as: Float.self) == [0, 0, 0])
  #expect(try runKernel("Max", [a]).scalars(as: Float.self) == [1, 5, 3])
  let nan = try runKernel("Max", [try floats([.nan, 1]), try floats([1, .nan])]).scalars(
    as: Float.self)
  #expect(nan[0].isNaN && nan[1].isNaN)
  let ints = try runKernel(
    "Min",
    [try HostTensor(shape: [2], values: [UInt8(3), 200]), try HostTensor(scalar: UInt8(100))])
  #expect(ints.scalars(as: UInt8.self) == [3, 100])
  let half = try runKernel(
    "Mean",
    [
      try HostTensor(shape: [1], values: [Float16(1)]),
      try HostTensor(shape: [1], values: [Float16(2)]),
    ])
  #expect(half.dataType == .float16 && half.scalars(as: Float16.self) == [1.5])
}

@Test func preluAndBitShiftFollowTheirDefinitions() throws {
  let x = try floats([-2, 3, -4, 5], [2, 2])
  let slope = try floats([0.5, 0.25], [2])
  let prelu = try runKernel("PRelu", [x, slope]).scalars(as: Float.self)
  #expect(prelu == [-1, 3, -2, 5])
  let values = try HostTensor(shape: [3], values: [UInt8(16), 4, 1])
  let amounts = try HostTensor(shape: [3], values: [UInt8(1), 2, 9])
  let left = [Attribute("direction", .string(Data("LEFT".utf8)))]
  let right = [Attribute("direction", .string(Data("RIGHT".utf8)))]
  #expect(
    try runKernel("BitShift", [values, amounts], attributes: left).scalars(as: UInt8.self) == [
      32, 16, 0,
    ])
  #expect(
    try runKernel("BitShift", [values, amounts], attributes: right).scalars(as: UInt8.self) == [
      8, 1, 0,
    ])
}

@Test func arithmeticBadInputsAreErrors() throws {
  #expect(throws: KilnError.self) {
    try runKernel("Add", [try floats([1, 2]), try floats([1, 2, 3])])
  }
  #expect(throws: KilnError.self) {
    try runKernel("Add", [try floats([1]), try HostTensor(shape: [1], values: [Int64(1)])])
  }
  #expect(throws: KilnError.self) { try runKernel("Add", [try floats([1])]) }
  #expect(throws: KilnError.self) { try runKernel("Sum", []) }
  #expect(throws: KilnError.self) {
    try runKernel(
      "Mod", [try floats([1]), try floats([1])], attributes: [Attribute("fmod", .int(2))])
  }
  #expect(throws: KilnError.self) {
    let u = try HostTensor(shape: [1], values: [UInt8(1)])
    return try runKernel("BitShift", [u, u])
  }
  #expect(throws: KilnError.self) {
    try runKernel("Pow", [try HostTensor(shape: [1], values: [true]), try floats([1])])
  }
}

@Test func threadedResultsMatchSingleThreaded() throws {
  let count = 300 * 257
  let big = try floats((0..<count).map { Float($0 % 97) - 48 }, [300, 1, 257])
  let column = try floats((0..<3).map(Float.init), [3, 1])
  let same = try floats((0..<count).map { Float($0 % 13) }, [300, 1, 257])
  let cases: [(String, [HostTensor])] = [
    ("Add", [big, column]), ("Mul", [big, same]), ("Sub", [big, try floats([1], [])]),
    ("Relu", [big]),
    ("Where", [try HostTensor(shape: [3, 1], values: [true, false, true]), big, column]),
  ]
  for (op, inputs) in cases {
    let single = try runKernel(op, inputs)
    let threaded = try runKernel(op, inputs, threads: 4)
    #expect(threaded.shape == single.shape)
    #expect(threaded.scalars(as: Float.self) == single.scalars(as: Float.self), "\(op)")
  }
}

@Test func preluBeforeOpset7AppliesAOneDimensionalSlopePerChannel() throws {
  let x = try HostTensor(shape: [1, 2, 2], values: [Float(-1), -2, -3, 4])
  let slope = try HostTensor(shape: [2], values: [Float(10), 100])
  let node = Node(opType: "PRelu")
  let kernel = try #require(KernelRegistry.standard.kernel(for: node))
  let legacy = try kernel(KernelInvocation(node: node, opset: 6, inputs: [x, slope]))
  let current = try kernel(KernelInvocation(node: node, opset: 9, inputs: [x, slope]))
  #expect(legacy.first??.scalars(as: Float.self) == [-10, -20, -300, 4])
  #expect(current.first??.scalars(as: Float.self) == [-10, -200, -30, 4])
}
