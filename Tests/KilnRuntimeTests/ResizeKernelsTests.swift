// Resize and Upsample kernels.

import Foundation
import KilnIR
import Testing

@testable import KilnRuntime

private func text(_ name: String, _ value: String) -> Attribute {
  Attribute(name, .string(Data(value.utf8)))
}

@Test func resizeNearestRepeatsAndKeepsTheType() throws {
  let data = try HostTensor(shape: [1, 2], values: [Int64(1), 2])
  let scales = try HostTensor(shape: [2], values: [Float(1), 2])
  let out = try runDataMovementOp("Resize", [data, nil, scales])[0]
  #expect(out.shape == [1, 4] && out.scalars(as: Int64.self) == [1, 1, 2, 2])
  let upsampled = try runDataMovementOp(
    "Upsample", opset: 7, [try countingTensor([2])], attributes: [Attribute("scales", .floats([2]))]
  )[0]
  #expect(upsampled.scalars(as: Float.self) == [0, 0, 1, 1])
}

@Test func resizeLinearFollowsTheCoordinateTransform() throws {
  let data = try HostTensor(shape: [2], values: [Float(0), 4])
  let sizes = try int64Tensor([4])
  let half = try runDataMovementOp(
    "Resize", [data, nil, nil, sizes], attributes: [text("mode", "linear")])[0]
  #expect(half.scalars(as: Float.self) == [0, 1, 3, 4])
  let corners = try runDataMovementOp(
    "Resize", [data, nil, nil, try int64Tensor([3])],
    attributes: [text("mode", "linear"), text("coordinate_transformation_mode", "align_corners")])[
      0]
  #expect(corners.scalars(as: Float.self) == [0, 2, 4])
  let asymmetric = try runDataMovementOp(
    "Resize", [data, nil, nil, sizes],
    attributes: [text("mode", "linear"), text("coordinate_transformation_mode", "asymmetric")])[0]
  #expect(asymmetric.scalars(as: Float.self) == [0, 2, 4, 4])
}

@Test func resizeRefusesBadArguments() throws {
  let data = try countingTensor([2])
  #expect(
    dataMovementFails("Resize", [data, nil, try HostTensor(shape: [1], values: [Float(-1)])]))
  #expect(dataMovementFails("Resize", [data, nil, nil, try int64Tensor([2, 2])]))
  #expect(
    dataMovementFails(
      "Resize", [data, nil, nil, try int64Tensor([3])], attributes: [text("mode", "area")]))
}
