// GridSample: interpolation modes, padding modes and align_corners on a 2×2 image.

import Foundation
import KilnIR
import KilnRuntime
import Testing

private var image: HostTensor { get throws { try HostTensor(shape: [1, 1, 2, 2], values: [Float(1), 2, 3, 4]) } }

private func sample(_ points: [Float], _ attributes: [Attribute], opset: Int64 = 16) throws -> [Float]? {
  let grid = try HostTensor(shape: [1, 1, points.count / 2, 2], values: points)
  return try kernelOutputs("GridSample", opset: opset, [image, grid], attributes: attributes)[0]?.scalars(as: Float.self)
}

@Test func gridSampleBilinearWithAndWithoutAlignedCorners() throws {
  #expect(try sample([-1, -1, 0, 0, 1, 1], [Attribute("align_corners", .int(1))]) == [1, 2.5, 4])
  #expect(try sample([-1, -1, 0, 0], []) == [0.25, 2.5])
  #expect(try sample([-1, -1, 0, 0], [Attribute("mode", .string(Data("linear".utf8)))], opset: 20) == [0.25, 2.5])
}

@Test func gridSamplePadsByBorderAndReflection() throws {
  #expect(try sample([-1, -1, -3, 0], [Attribute("padding_mode", .string(Data("border".utf8)))]) == [1, 2])
  #expect(try sample([-1, -1], [Attribute("padding_mode", .string(Data("reflection".utf8)))]) == [1])
}

@Test func gridSampleNearestRoundsHalfToEven() throws {
  // x = 0.7 rounds to 1; y = -0.1 rounds to 0; x = 0.5 rounds to 0.
  #expect(try sample([0.2, -0.6, 0, -0.5], [Attribute("mode", .string(Data("nearest".utf8)))]) == [2, 1])
}

@Test func gridSampleBicubicKeepsAConstantImage() throws {
  let flat = try HostTensor(shape: [1, 1, 2, 2], values: [Float(5), 5, 5, 5])
  let grid = try HostTensor(shape: [1, 1, 1, 2], values: [Float(0.3), -0.2])
  let result = try kernelOutputs(
    "GridSample", opset: 16, [flat, grid],
    attributes: [Attribute("mode", .string(Data("bicubic".utf8))), Attribute("padding_mode", .string(Data("border".utf8)))])
  #expect(abs((result[0]?.scalars(as: Float.self)[0] ?? 0) - 5) < 1e-5)
}

@Test func gridSampleRejectsABadGridAndUnknownModes() throws {
  #expect(throws: KilnError.self) { try kernelOutputs("GridSample", opset: 16, [image, try HostTensor(shape: [1, 1, 1, 3], values: [Float(0), 0, 0])]) }
  #expect(throws: KilnError.self) { try sample([0, 0], [Attribute("mode", .string(Data("linear".utf8)))]) }
}

@Test func gridSampleSurvivesNonFinitePositions() throws {
  let values = try sample([.nan, 0, .infinity, 0, 0, -.infinity], [])
  #expect(values?[0].isNaN == true)
  #expect(values?[1] == 0 && values?[2] == 0)
  let reflected = try sample([.infinity, 0, 1e30, 0], [Attribute("padding_mode", .string(Data("reflection".utf8)))])
  #expect(reflected?.count == 2)
}
