// Trilu (upper/lower, diagonal offset, batches), EyeLike (offset, dtype) and Det (pivoting,
// batches).

import KilnIR
import KilnRuntime
import Testing

private var threeByThree: HostTensor { get throws { try HostTensor(shape: [3, 3], values: (1...9).map { Int64($0) }) } }

@Test func triluKeepsTheUpperOrLowerTriangleFromTheOffset() throws {
  #expect(try runKernel("Trilu", [threeByThree]).scalars(as: Int64.self) == [1, 2, 3, 0, 5, 6, 0, 0, 9])
  let lower = try runKernel(
    "Trilu", [threeByThree, try HostTensor(scalar: Int64(-1))], attributes: [Attribute("upper", .int(0))])
  #expect(lower.scalars(as: Int64.self) == [0, 0, 0, 4, 0, 0, 7, 8, 0])
  let farOut = try runKernel("Trilu", [threeByThree, try HostTensor(scalar: Int64(5))])
  #expect(farOut.scalars(as: Int64.self) == [Int64](repeating: 0, count: 9))
}

@Test func triluWorksOnEachMatrixOfABatch() throws {
  let batch = try floats([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])
  let upper = try runKernel("Trilu", [batch, try HostTensor(scalar: Int64(1))])
  #expect(upper.shape == [2, 2, 2])
  #expect(upper.scalars(as: Float.self) == [0, 2, 0, 0, 0, 6, 0, 0])
}

@Test func triluRefusesVectorsAndLongOffsets() throws {
  #expect(throws: KilnError.self) { try runKernel("Trilu", [try floats([1, 2])]) }
  #expect(throws: KilnError.self) {
    try runKernel("Trilu", [threeByThree, try HostTensor(shape: [2], values: [Int64(0), 1])])
  }
}

@Test func eyeLikePlacesOnesOnTheOffsetDiagonalInTheRequestedType() throws {
  let shifted = try runKernel("EyeLike", [try floats([Float](repeating: 7, count: 6), [2, 3])], attributes: [Attribute("k", .int(1))])
  #expect(shifted.scalars(as: Float.self) == [0, 1, 0, 0, 0, 1])
  let typed = try runKernel(
    "EyeLike", [try floats([Float](repeating: 7, count: 4), [2, 2])], attributes: [Attribute("dtype", .int(6))])
  #expect(typed.scalars(as: Int32.self) == [1, 0, 0, 1])
  #expect(throws: KilnError.self) { try runKernel("EyeLike", [try floats([1, 2])]) }
  #expect(throws: KilnError.self) {
    try runKernel("EyeLike", [try floats([1, 2, 3, 4], [2, 2])], attributes: [Attribute("dtype", .int(8))])
  }
}

@Test func determinantPivotsAndBatches() throws {
  #expect(try runKernel("Det", [try floats([1, 2, 3, 4], [2, 2])]).scalars(as: Float.self) == [-2])
  let batch = try HostTensor(shape: [2, 3, 3], values: [2.0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0, 1])
  let determinants = try runKernel("Det", [batch])
  #expect(determinants.shape == [2])
  #expect(determinants.scalars(as: Double.self) == [8, -1])
  #expect(throws: KilnError.self) { try runKernel("Det", [try floats([1, 2, 3, 4, 5, 6], [2, 3])]) }
  #expect(throws: KilnError.self) { try runKernel("Det", [try HostTensor(shape: [1, 1], values: [Int32(1)])]) }
}
