// Depthwise Conv (one channel per group) against the definition on shapes that stress the
// whole-plane kernel's paths: padded copy, flat loop, rows split into interior and edge columns.

import KilnIR
import Testing

@testable import KilnRuntime

/// One depthwise case: input plane, kernel, strides and dilations (height, width), pads (top,
/// left, bottom, right).
struct DepthwiseCase: Sendable, CustomTestStringConvertible {
  let plane: [Int]
  let kernel: [Int]
  var strides = [1, 1]
  var pads = [0, 0, 0, 0]
  var dilations = [1, 1]

  var testDescription: String { "plane \(plane) kernel \(kernel) strides \(strides) pads \(pads) dilations \(dilations)" }

  var attributes: [Attribute] {
    [Attribute("group", .int(Int64(Self.channels))), Attribute("strides", .ints(strides.map(Int64.init))),
     Attribute("pads", .ints(pads.map(Int64.init))), Attribute("dilations", .ints(dilations.map(Int64.init)))]
  }

  static let channels = 3

  /// Seeded inputs: x [2, channels, plane], w [channels, 1, kernel], bias [channels].
  func operands() throws -> (x: [Float], w: [Float], bias: [Float], tensors: [HostTensor]) {
    let xShape = [2, Self.channels] + plane, wShape = [Self.channels, 1] + kernel
    let x = (0..<xShape.reduce(1, *)).map { Float(($0 * 37) % 19) / 9 - 1 }
    let w = (0..<wShape.reduce(1, *)).map { Float(($0 * 23) % 17) / 8 - 1 }
    let bias: [Float] = [0.5, -0.25, 1]
    let tensors = [try HostTensor(shape: xShape, values: x), try HostTensor(shape: wShape, values: w),
                   try HostTensor(shape: [Self.channels], values: bias)]
    return (x, w, bias, tensors)
  }

  /// The definition's result, bias added.
  func expected() throws -> [Float] {
    let (x, w, bias, _) = try operands()
    let sums = directConv(x, [2, Self.channels] + plane, w, [Self.channels, 1] + kernel, group: Self.channels,
                          strides: strides, pads: pads, dilations: dilations)
    let planeSize = sums.count / (2 * Self.channels)
    return sums.enumerated().map { $0.element + bias[$0.offset / planeSize % Self.channels] }
  }
}

private func close(_ got: [Float], _ expected: [Float]) -> Bool {
  got.count == expected.count && zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }
}

@Test(arguments: [
  DepthwiseCase(plane: [14, 14], kernel: [3, 3], pads: [1, 1, 1, 1]),
  DepthwiseCase(plane: [7, 9], kernel: [3, 3], pads: [0, 2, 1, 0]),  // asymmetric pads
  DepthwiseCase(plane: [13, 11], kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
  DepthwiseCase(plane: [14, 14], kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1]),
  DepthwiseCase(plane: [9, 12], kernel: [3, 3], strides: [1, 3], pads: [1, 2, 1, 0]),  // general step
  DepthwiseCase(plane: [11, 10], kernel: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2]),
  DepthwiseCase(plane: [10, 13], kernel: [3, 3], strides: [2, 1], pads: [1, 3, 0, 1], dilations: [1, 3]),
  DepthwiseCase(plane: [12, 9], kernel: [5, 5], pads: [2, 2, 2, 2]),
  DepthwiseCase(plane: [12, 9], kernel: [5, 5], strides: [2, 2], pads: [1, 2, 3, 0], dilations: [2, 1]),
  DepthwiseCase(plane: [6, 8], kernel: [1, 3], pads: [0, 1, 0, 1]),
  DepthwiseCase(plane: [1, 1], kernel: [3, 3], pads: [1, 1, 1, 1]),  // tiny planes
  DepthwiseCase(plane: [2, 2], kernel: [3, 3], pads: [1, 1, 1, 1]),
  DepthwiseCase(plane: [2, 2], kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
  DepthwiseCase(plane: [4, 3], kernel: [5, 5], pads: [2, 2, 2, 2]),  // no interior column
  DepthwiseCase(plane: [5, 2], kernel: [3, 3], strides: [1, 2], pads: [1, 1, 1, 1]),
  DepthwiseCase(plane: [3, 4], kernel: [2, 1], pads: [3, 0, 3, 0]),  // rows wholly in the padding
  DepthwiseCase(plane: [40, 36], kernel: [3, 3], pads: [1, 1, 1, 1]),  // too large to copy: one flat loop
  DepthwiseCase(plane: [34, 33], kernel: [5, 5], pads: [2, 1, 2, 3]),
  DepthwiseCase(plane: [33, 40], kernel: [3, 3], pads: [1, 0, 1, 0]),  // too large, narrower output: rows
  DepthwiseCase(plane: [40, 37], kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),  // too large, strided: rows
])
func depthwiseConvMatchesTheDefinition(_ setup: DepthwiseCase) throws {
  let expected = try setup.expected(), inputs = try setup.operands().tensors
  for threads in [1, 2] {
    let y = try runKernel("Conv", inputs, attributes: setup.attributes, threads: threads)
    #expect(close(y.scalars(as: Float.self), expected), "threads \(threads)")
  }
}

@Test func depthwiseConvAppliesAFusedClip() throws {
  let setup = DepthwiseCase(plane: [7, 7], kernel: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2])
  let clamp = FusedActivation(low: -0.5, high: 1.5)
  let y = try runKernel("Conv", try setup.operands().tensors, attributes: setup.attributes, fusedActivation: clamp)
  let expected = try setup.expected().map { min(max($0, clamp.low), clamp.high) }
  #expect(expected.contains(clamp.low) && expected.contains(clamp.high))
  #expect(close(y.scalars(as: Float.self), expected))
}

@Test func oneDimensionalDepthwiseConvMatchesItsTwoDimensionalForm() throws {
  let setup = DepthwiseCase(plane: [1, 11], kernel: [1, 3], strides: [1, 2], pads: [0, 2, 0, 1], dilations: [1, 2])
  var inputs = try setup.operands().tensors
  inputs[0] = try HostTensor(shape: [2, DepthwiseCase.channels, 11], values: inputs[0].scalars(as: Float.self))
  inputs[1] = try HostTensor(shape: [DepthwiseCase.channels, 1, 3], values: inputs[1].scalars(as: Float.self))
  let attributes = [
    Attribute("group", .int(Int64(DepthwiseCase.channels))), Attribute("strides", .ints([2])),
    Attribute("pads", .ints([2, 1])), Attribute("dilations", .ints([2])),
  ]
  let y = try runKernel("Conv", inputs, attributes: attributes, fusedActivation: FusedActivation(low: 0, high: .infinity))
  #expect(close(y.scalars(as: Float.self), try setup.expected().map { max($0, 0) }))
}
