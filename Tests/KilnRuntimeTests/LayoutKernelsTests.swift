// Transpose, Concat, Split, Slice and Tile kernels.

import KilnIR
import Testing

@testable import KilnRuntime

@Test func transposeFollowsPermOrReversesAxes() throws {
  let reversed = try runDataMovementOp("Transpose", [try countingTensor([2, 3])])[0]
  #expect(reversed.shape == [3, 2])
  #expect(reversed.scalars(as: Float.self) == [0, 3, 1, 4, 2, 5])
  let permuted = try runDataMovementOp(
    "Transpose", [try countingTensor([2, 1, 3])], attributes: [Attribute("perm", .ints([2, 0, 1]))])[
      0]
  #expect(permuted.shape == [3, 2, 1])
  #expect(permuted.scalars(as: Float.self) == [0, 3, 1, 4, 2, 5])
  let flags = try HostTensor(shape: [1, 2], values: [true, false])
  #expect(try runDataMovementOp("Transpose", [flags])[0].scalars(as: Bool.self) == [true, false])
  #expect(
    dataMovementFails(
      "Transpose", [try countingTensor([2, 3])], attributes: [Attribute("perm", .ints([0, 0]))]))
}

@Test func concatJoinsAlongTheAxis() throws {
  let out = try runDataMovementOp(
    "Concat",
    [try countingTensor([2, 1]), try countingTensor([2, 2]), try countingTensor([2, 0])],
    attributes: [Attribute("axis", .int(-1))])[0]
  #expect(out.shape == [2, 3])
  #expect(out.scalars(as: Float.self) == [0, 0, 1, 1, 2, 3])
  #expect(
    dataMovementFails(
      "Concat", [try countingTensor([2, 1]), try countingTensor([3, 1])],
      attributes: [Attribute("axis", .int(1))]))
}

@Test func splitTakesSizesFromAttributeInputOrOutputCount() throws {
  let even = try runDataMovementOp("Split", [try countingTensor([4])], outputs: 2)
  #expect(even.map { $0.scalars(as: Float.self) } == [[0, 1], [2, 3]])
  let given = try runDataMovementOp(
    "Split", [try countingTensor([2, 3]), try int64Tensor([1, 2])],
    attributes: [Attribute("axis", .int(1))],
    outputs: 2)
  #expect(given.map { $0.scalars(as: Float.self) } == [[0, 3], [1, 2, 4, 5]])
  let old = try runDataMovementOp(
    "Split", opset: 11, [try countingTensor([3])], attributes: [Attribute("split", .ints([2, 1]))],
    outputs: 2
  )
  #expect(old.map(\.shape) == [[2], [1]])
  let uneven = try runDataMovementOp(
    "Split", opset: 18, [try countingTensor([5])], attributes: [Attribute("num_outputs", .int(2))],
    outputs: 2
  )
  #expect(uneven.map(\.shape) == [[3], [2]])
  #expect(dataMovementFails("Split", opset: 13, [try countingTensor([5])], outputs: 2))
}

@Test func sliceClampsAndStepsBackwards() throws {
  let data = try countingTensor([3, 4])
  let forward = try runDataMovementOp(
    "Slice", [data, try int64Tensor([1, -100]), try int64Tensor([Int(Int64.max), 3])])[0]
  #expect(forward.shape == [2, 3])
  #expect(forward.scalars(as: Float.self) == [4, 5, 6, 8, 9, 10])
  let backward = try runDataMovementOp(
    "Slice",
    [
      data, try int64Tensor([-1]), try int64Tensor([Int(Int64.min)]), try int64Tensor([1]),
      try int64Tensor([-2]),
    ])[0]
  #expect(backward.scalars(as: Float.self) == [3, 1, 7, 5, 11, 9])
  let old = try runDataMovementOp(
    "Slice", opset: 9, [data],
    attributes: [
      Attribute("starts", .ints([1])), Attribute("ends", .ints([2])), Attribute("axes", .ints([0])),
    ])[0]
  #expect(old.scalars(as: Float.self) == [4, 5, 6, 7])
  #expect(
    dataMovementFails(
      "Slice",
      [
        data, try int64Tensor([0]), try int64Tensor([1]), try int64Tensor([0]),
        try int64Tensor([0]),
      ]))
}

@Test func tileRepeatsEachAxis() throws {
  let out = try runDataMovementOp("Tile", [try countingTensor([2]), try int64Tensor([3])])[0]
  #expect(out.scalars(as: Float.self) == [0, 1, 0, 1, 0, 1])
  let grid = try runDataMovementOp(
    "Tile", [try countingTensor([1, 2]), try int64Tensor([2, 2])])[0]
  #expect(grid.shape == [2, 4] && grid.scalars(as: Float.self) == [0, 1, 0, 1, 0, 1, 0, 1])
  #expect(dataMovementFails("Tile", [try countingTensor([2]), try int64Tensor([-1])]))
}

@Test func hugeOutputsAreRefusedOrEmptyWithoutBuildingIndexTables() throws {
  let empty = try runDataMovementOp(
    "Tile", [try countingTensor([0, 2]), try int64Tensor([1, 1 << 50])])[0]
  #expect(empty.shape == [0, 1 << 51])
  #expect(
    dataMovementFails("Tile", [try countingTensor([1, 2]), try int64Tensor([1 << 40, 1 << 20])]))
  #expect(dataMovementFails("Pad", [try countingTensor([2]), try int64Tensor([1 << 60, 0])]))
}
