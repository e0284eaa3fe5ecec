// Pad kernel in its modes and opset forms.

import Foundation
import KilnIR
import Testing

@testable import KilnRuntime

private func pad(_ mode: String, _ pads: [Int], data: HostTensor? = nil) throws -> [Float] {
  try runDataMovementOp(
    "Pad", [try data ?? countingTensor([3]), try int64Tensor(pads)],
    attributes: [Attribute("mode", .string(Data(mode.utf8)))])[0].scalars(as: Float.self)
}

@Test func padModesExtendEachAxis() throws {
  #expect(try pad("constant", [2, 1]) == [0, 0, 0, 1, 2, 0])
  #expect(try pad("edge", [2, 1]) == [0, 0, 0, 1, 2, 2])
  #expect(try pad("reflect", [2, 2]) == [2, 1, 0, 1, 2, 1, 0])
  #expect(try pad("wrap", [2, 1]) == [1, 2, 0, 1, 2, 0])
  #expect(try pad("constant", [-1, 0]) == [1, 2])
}

@Test func padTakesValueAndAxesAsInputsOrAttributes() throws {
  let valued = try runDataMovementOp(
    "Pad",
    [
      try countingTensor([1, 2]), try int64Tensor([0, 1]), try HostTensor(scalar: Float(9)),
      try int64Tensor([1]),
    ])[0]
  #expect(valued.shape == [1, 3] && valued.scalars(as: Float.self) == [0, 1, 9])
  let old = try runDataMovementOp(
    "Pad", opset: 2, [try countingTensor([2])],
    attributes: [Attribute("pads", .ints([1, 0])), Attribute("value", .float(7))])[0]
  #expect(old.scalars(as: Float.self) == [7, 0, 1])
  #expect(dataMovementFails("Pad", [try countingTensor([2]), try int64Tensor([-3, 0])]))
  #expect(
    dataMovementFails(
      "Pad", [try countingTensor([0]), try int64Tensor([1, 0])],
      attributes: [Attribute("mode", .string(Data("edge".utf8)))]))
}
