// Gather, GatherElements, GatherND, ScatterND and ScatterElements kernels.

import Foundation
import KilnIR
import Testing

@testable import KilnRuntime

@Test func gatherPicksSlicesWithNegativeIndices() throws {
  let rows = try runDataMovementOp(
    "Gather", [try countingTensor([3, 2]), try int64Tensor([2, -3])])[0]
  #expect(rows.shape == [2, 2] && rows.scalars(as: Float.self) == [4, 5, 0, 1])
  let columns = try runDataMovementOp(
    "Gather",
    [try countingTensor([2, 3]), try HostTensor(shape: [1, 2], values: [Int32(2), 0])],
    attributes: [Attribute("axis", .int(1))])[0]
  #expect(columns.shape == [2, 1, 2] && columns.scalars(as: Float.self) == [2, 0, 5, 3])
  #expect(dataMovementFails("Gather", [try countingTensor([3]), try int64Tensor([3])]))
}

@Test func gatherElementsIndexesAlongTheAxis() throws {
  let data = try HostTensor(shape: [2, 2], values: [Float(1), 2, 3, 4])
  let indices = try HostTensor(shape: [2, 2], values: [Int64(0), 0, 1, 0])
  let out = try runDataMovementOp(
    "GatherElements", [data, indices], attributes: [Attribute("axis", .int(1))])[0]
  #expect(out.scalars(as: Float.self) == [1, 1, 4, 3])
  #expect(
    dataMovementFails(
      "GatherElements", [data, try HostTensor(shape: [2, 2], values: [Int64(0), 0, 2, 0])]))
}

@Test func gatherNDHonoursBatchDims() throws {
  let data = try countingTensor([2, 2])
  let pairs = try runDataMovementOp(
    "GatherND", [data, try HostTensor(shape: [2, 2], values: [Int64(0), 0, 1, 1])])[0]
  #expect(pairs.scalars(as: Float.self) == [0, 3])
  let rows = try runDataMovementOp(
    "GatherND", [data, try HostTensor(shape: [2, 1], values: [Int64(1), 0])])[0]
  #expect(rows.shape == [2, 2] && rows.scalars(as: Float.self) == [2, 3, 0, 1])
  let batched = try runDataMovementOp(
    "GatherND",
    [try countingTensor([2, 2, 2]), try HostTensor(shape: [2, 1], values: [Int64(1), 0])],
    attributes: [Attribute("batch_dims", .int(1))])[0]
  #expect(batched.shape == [2, 2] && batched.scalars(as: Float.self) == [2, 3, 4, 5])
  #expect(
    dataMovementFails("GatherND", [data, try HostTensor(shape: [1, 2], values: [Int64(0), 5])]))
}

@Test func scatterNDWritesOrReduces() throws {
  let data = try countingTensor([4])
  let indices = try HostTensor(shape: [2, 1], values: [Int64(1), 3])
  let updates = try HostTensor(shape: [2], values: [Float(10), 20])
  #expect(
    try runDataMovementOp("ScatterND", [data, indices, updates])[0].scalars(as: Float.self) == [
      0, 10, 2, 20,
    ])
  let added = try runDataMovementOp(
    "ScatterND", [data, indices, updates],
    attributes: [Attribute("reduction", .string(Data("add".utf8)))])[0]
  #expect(added.scalars(as: Float.self) == [0, 11, 2, 23])
  #expect(data.scalars(as: Float.self) == [0, 1, 2, 3])
  #expect(
    dataMovementFails(
      "ScatterND", [data, try HostTensor(shape: [2, 1], values: [Int64(1), 4]), updates]))
}

@Test func scatterElementsWritesAlongTheAxis() throws {
  let data = try HostTensor(shape: [1, 3], values: [Float(0), 0, 0])
  let indices = try HostTensor(shape: [1, 2], values: [Int64(-1), 0])
  let updates = try HostTensor(shape: [1, 2], values: [Float(5), 6])
  let out = try runDataMovementOp(
    "ScatterElements", [data, indices, updates], attributes: [Attribute("axis", .int(1))])[0]
  #expect(out.scalars(as: Float.self) == [6, 0, 5])
  let multiplied = try runDataMovementOp(
    "ScatterElements", [try countingTensor([1, 3]), indices, updates],
    attributes: [Attribute("axis", .int(1)), Attribute("reduction", .string(Data("mul".utf8)))])[0]
  #expect(multiplied.scalars(as: Float.self) == [0, 1, 10])
  #expect(
    dataMovementFails(
      "ScatterElements",
      [
        data, try HostTensor(shape: [1, 1], values: [Int64(3)]),
        try HostTensor(shape: [1, 1], values: [Float(1)]),
      ], attributes: [Attribute("axis", .int(1))]))
}

@Test func integerScatterReductionsAreExact() throws {
  let big = Int64(1) << 60
  let data = try HostTensor(shape: [1], values: [big])
  let out = try runDataMovementOp(
    "ScatterND",
    [
      data, try HostTensor(shape: [1, 1], values: [Int64(0)]),
      try HostTensor(shape: [1], values: [Int64(1)]),
    ], attributes: [Attribute("reduction", .string(Data("add".utf8)))])[0]
  #expect(out.scalars(as: Int64.self) == [big + 1])
  let flags = try HostTensor(shape: [2], values: [false, false])
  let set = try runDataMovementOp(
    "ScatterElements",
    [
      flags, try HostTensor(shape: [1], values: [Int64(1)]),
      try HostTensor(shape: [1], values: [true]),
    ])[0]
  #expect(set.scalars(as: Bool.self) == [false, true])
}
