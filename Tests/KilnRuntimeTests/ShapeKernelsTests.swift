// Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, ConstantOfShape and Range kernels.

import Foundation
import KilnIR
import Testing

@testable import KilnRuntime

/// Runs the standard kernel for `op` at `opset` on `inputs` (nil: omitted), with `outputs` outputs.
func runDataMovementOp(
  _ op: String, opset: Int64 = 19, _ inputs: [HostTensor?], attributes: [Attribute] = [],
  outputs: Int = 1
) throws -> [HostTensor] {
  let node = Node(
    name: "n", opType: op, inputs: inputs.indices.map { Value(name: "i\($0)") },
    outputs: (0..<outputs).map { Value(name: "o\($0)") }, attributes: attributes)
  guard let kernel = KernelRegistry.standard.kernel(for: node) else {
    throw KilnError.internalError("no \(op)")
  }
  return try kernel(KernelInvocation(node: node, opset: opset, inputs: inputs)).compactMap { $0 }
}

/// A float tensor counting up from 0.
func countingTensor(_ shape: [Int]) throws -> HostTensor {
  try HostTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0) })
}

/// A 1-D int64 tensor.
func int64Tensor(_ values: [Int]) throws -> HostTensor {
  try HostTensor(shape: [values.count], values: values.map { Int64($0) })
}

/// Whether running `op` fails with a bad-input error rather than crashing or succeeding.
func dataMovementFails(
  _ op: String, opset: Int64 = 19, _ inputs: [HostTensor?], attributes: [Attribute] = [],
  outputs: Int = 1
) -> Bool {
  do {
    _ = try runDataMovementOp(op, opset: opset, inputs, attributes: attributes, outputs: outputs)
    return false
  } catch let error as KilnError {
    return error.exitCode == 2
  } catch {
    return false
  }
}

@Test func reshapeCopiesZeroAndInfersMinusOne() throws {
  let out = try runDataMovementOp(
    "Reshape", [try countingTensor([2, 3, 4]), try int64Tensor([0, -1, 2])])[0]
  #expect(out.shape == [2, 6, 2])
  #expect(out.scalars(as: Float.self) == (0..<24).map { Float($0) })
  let zero = try runDataMovementOp(
    "Reshape", [try countingTensor([0, 3]), try int64Tensor([3, 0])],
    attributes: [Attribute("allowzero", .int(1))]
  )[0]
  #expect(zero.shape == [3, 0])
  let old = try runDataMovementOp(
    "Reshape", opset: 4, [try countingTensor([6])], attributes: [Attribute("shape", .ints([3, 2]))])[
      0]
  #expect(old.shape == [3, 2])
  #expect(dataMovementFails("Reshape", [try countingTensor([6]), try int64Tensor([4, -1])]))
  #expect(dataMovementFails("Reshape", [try countingTensor([6]), try int64Tensor([-1, -1])]))
}

@Test func flattenSplitsAtTheAxis() throws {
  #expect(
    try runDataMovementOp(
      "Flatten", [try countingTensor([2, 3, 4])], attributes: [Attribute("axis", .int(-1))])[0]
      .shape == [
        6, 4,
      ])
  #expect(
    try runDataMovementOp(
      "Flatten", [try countingTensor([2, 3, 4])], attributes: [Attribute("axis", .int(0))])[0].shape
      == [
        1, 24,
      ])
  #expect(
    dataMovementFails(
      "Flatten", [try countingTensor([2, 3])], attributes: [Attribute("axis", .int(3))]))
}

@Test func squeezeAndUnsqueezeTakeAxesAsAttributeOrInput() throws {
  #expect(try runDataMovementOp("Squeeze", [try countingTensor([1, 3, 1])])[0].shape == [3])
  #expect(
    try runDataMovementOp("Squeeze", [try countingTensor([1, 3, 1]), try int64Tensor([-1])])[0]
      .shape == [1, 3])
  #expect(
    try runDataMovementOp(
      "Squeeze", opset: 11, [try countingTensor([1, 3, 1])],
      attributes: [Attribute("axes", .ints([0]))])[0]
      .shape == [3, 1])
  #expect(
    try runDataMovementOp("Unsqueeze", [try countingTensor([3, 4]), try int64Tensor([0, -1])])[0]
      .shape == [
        1, 3, 4, 1,
      ])
  #expect(
    try runDataMovementOp(
      "Unsqueeze", opset: 11, [try countingTensor([3])], attributes: [Attribute("axes", .ints([1]))]
    )[0].shape
      == [3, 1])
  #expect(dataMovementFails("Squeeze", [try countingTensor([2, 3]), try int64Tensor([0])]))
  #expect(dataMovementFails("Unsqueeze", [try countingTensor([3]), try int64Tensor([0, 0])]))
}

@Test func shapeAndSizeReportInt64() throws {
  #expect(
    try runDataMovementOp("Shape", [try countingTensor([2, 3, 4])])[0].scalars(as: Int64.self) == [
      2, 3, 4,
    ])
  let sliced = try runDataMovementOp(
    "Shape", [try countingTensor([2, 3, 4])],
    attributes: [Attribute("start", .int(-2)), Attribute("end", .int(10))])[0]
  #expect(sliced.scalars(as: Int64.self) == [3, 4])
  #expect(
    try runDataMovementOp("Size", [try countingTensor([2, 3, 4])])[0].scalars(as: Int64.self) == [
      24
    ])
  #expect(dataMovementFails("Size", []))
}

@Test func constantOfShapeFillsWithTheValue() throws {
  let plain = try runDataMovementOp("ConstantOfShape", [try int64Tensor([2, 2])])[0]
  #expect(plain.dataType == .float && plain.scalars(as: Float.self) == [0, 0, 0, 0])
  var bytes = Data()
  withUnsafeBytes(of: Int32(7)) { bytes.append(contentsOf: $0) }
  let value = Tensor(dataType: .int32, dims: [1], bytes: bytes)
  let sevens = try runDataMovementOp(
    "ConstantOfShape", [try int64Tensor([3])], attributes: [Attribute("value", .tensor(value))])[0]
  #expect(sevens.scalars(as: Int32.self) == [7, 7, 7])
  #expect(dataMovementFails("ConstantOfShape", [try int64Tensor([-1])]))
}

@Test func rangeCountsInFloatsAndInts() throws {
  let floats = try runDataMovementOp(
    "Range",
    [
      try HostTensor(scalar: Float(1)), try HostTensor(scalar: Float(2)),
      try HostTensor(scalar: Float(0.25)),
    ])[0]
  #expect(floats.scalars(as: Float.self) == [1, 1.25, 1.5, 1.75])
  let down = try runDataMovementOp(
    "Range",
    [
      try HostTensor(scalar: Int64(10)), try HostTensor(scalar: Int64(4)),
      try HostTensor(scalar: Int64(-3)),
    ])[0]
  #expect(down.scalars(as: Int64.self) == [10, 7])
  let empty = try runDataMovementOp(
    "Range",
    [
      try HostTensor(scalar: Int32(5)), try HostTensor(scalar: Int32(1)),
      try HostTensor(scalar: Int32(2)),
    ])[0]
  #expect(empty.shape == [0])
  #expect(
    dataMovementFails(
      "Range",
      [
        try HostTensor(scalar: Int32(0)), try HostTensor(scalar: Int32(1)),
        try HostTensor(scalar: Int32(0)),
      ]))
}
