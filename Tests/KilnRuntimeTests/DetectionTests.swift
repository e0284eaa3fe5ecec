// NonMaxSuppression (formats, limits, thresholds) and RoiAlign (avg, max, coordinate modes).

import Foundation
import KilnIR
import KilnRuntime
import Testing

private func int64(_ values: [Int64], _ shape: [Int]) throws -> HostTensor { try HostTensor(shape: shape, values: values) }
private func float(_ values: [Float], _ shape: [Int]) throws -> HostTensor { try HostTensor(shape: shape, values: values) }

/// Three corner boxes: the second overlaps the first (IoU 0.86), the third stands apart.
private var boxes: HostTensor {
  get throws { try float([0, 0, 1, 1, 0.05, 0, 1.05, 0.95, 2, 2, 3, 3], [1, 3, 4]) }
}

@Test func nonMaxSuppressionDropsOverlapsAndOrdersByScore() throws {
  let scores = try float([0.7, 0.9, 0.8], [1, 1, 3])
  let selected = try kernelOutputs("NonMaxSuppression", opset: 11, [
    boxes, scores, try int64([3], [1]), try float([0.5], [1]),
  ])
  #expect(selected[0]?.shape == [2, 3])
  #expect(selected[0]?.scalars(as: Int64.self) == [0, 0, 1, 0, 0, 2])
  let loose = try kernelOutputs("NonMaxSuppression", opset: 11, [
    boxes, scores, try int64([2], [1]), try float([0.9], [1]), try float([0.75], [1]),
  ])
  #expect(loose[0]?.scalars(as: Int64.self) == [0, 0, 1, 0, 0, 2])
  let none = try kernelOutputs("NonMaxSuppression", opset: 11, [boxes, scores])
  #expect(none[0]?.shape == [0, 3])
}

@Test func nonMaxSuppressionReadsCenterBoxesPerClassAndBreaksTiesByIndex() throws {
  let centered = try float([0.5, 0.5, 1, 1, 0.5, 0.5, 1, 1, 5, 5, 2, 2], [1, 3, 4])
  let scores = try float([0.5, 0.5, 0.5, 0.1, 0.2, 0.3], [1, 2, 3])
  let selected = try kernelOutputs(
    "NonMaxSuppression", opset: 11, [centered, scores, try int64([5], []), try float([0.5], [])],
    attributes: [Attribute("center_point_box", .int(1))])
  #expect(selected[0]?.scalars(as: Int64.self) == [0, 0, 0, 0, 0, 2, 0, 1, 2, 0, 1, 1])
}

@Test func nonMaxSuppressionRejectsMismatchedShapes() throws {
  #expect(throws: KilnError.self) {
    try kernelOutputs("NonMaxSuppression", opset: 11, [boxes, try float([1, 2], [1, 1, 2])])
  }
}

/// A 4×4 plane whose value at (y, x) is 10y + x, so bilinear samples are exact.
private var ramp: HostTensor {
  get throws { try float((0..<16).map { Float(10 * ($0 / 4) + $0 % 4) }, [1, 1, 4, 4]) }
}

@Test func roiAlignAveragesBilinearSamples() throws {
  let region = try float([0.5, 0.5, 2.5, 2.5], [1, 4])
  let single = try kernelOutputs(
    "RoiAlign", opset: 16, [ramp, region, try int64([0], [1])], attributes: [Attribute("sampling_ratio", .int(2))])
  #expect(single[0]?.shape == [1, 1, 1, 1])
  #expect(single[0]?.scalars(as: Float.self) == [11])
  let grid = try kernelOutputs(
    "RoiAlign", opset: 16, [ramp, region, try int64([0], [1])],
    attributes: [Attribute("output_height", .int(2)), Attribute("output_width", .int(2)), Attribute("sampling_ratio", .int(1))])
  #expect(grid[0]?.scalars(as: Float.self) == [5.5, 6.5, 15.5, 16.5])
  // Opset 10 has no half-pixel shift: the same region starts half a pixel later.
  let old = try kernelOutputs(
    "RoiAlign", opset: 10, [ramp, try float([0, 0, 2, 2], [1, 4]), try int64([0], [1])],
    attributes: [Attribute("sampling_ratio", .int(2))])
  #expect(old[0]?.scalars(as: Float.self) == [11])
}

@Test func roiAlignMaxTakesTheLargestWeightedCorner() throws {
  let result = try kernelOutputs(
    "RoiAlign", opset: 16, [ramp, try float([0.5, 0.5, 1.5, 1.5], [1, 4]), try int64([0], [1])],
    attributes: [Attribute("mode", .string(Data("max".utf8))), Attribute("sampling_ratio", .int(1))])
  // One sample at (0.5, 0.5): corners 0, 1, 10, 11 each weighted 1/4.
  #expect(result[0]?.scalars(as: Float.self) == [2.75])
}

@Test func roiAlignRejectsBatchIndicesOutsideTheBatch() throws {
  #expect(throws: KilnError.self) {
    try kernelOutputs("RoiAlign", opset: 16, [ramp, try float([0, 0, 1, 1], [1, 4]), try int64([1], [1])])
  }
}

@Test func roiAlignRefusesHostileSamplingAndOutputSizes() throws {
  let inputs = [try ramp, try float([0, 0, 1, 1], [1, 4]), try int64([0], [1])]
  #expect(throws: KilnError.self) {
    try kernelOutputs("RoiAlign", opset: 16, inputs, attributes: [Attribute("sampling_ratio", .int(1 << 40))])
  }
  #expect(throws: KilnError.self) {
    try kernelOutputs(
      "RoiAlign", opset: 16, inputs,
      attributes: [Attribute("output_height", .int(1 << 40)), Attribute("output_width", .int(1 << 40))])
  }
  #expect(throws: KilnError.self) {
    try kernelOutputs("RoiAlign", opset: 16, [try ramp, try float([0, 0, .infinity, 1], [1, 4]), try int64([0], [1])])
  }
}
