// The direct convolution against the definition, and when Conv takes it.

import Foundation
import KilnIR
import KilnTestSupport
import Testing

@testable import KilnRuntime

/// One direct-convolution case: images, input and output channels, input plane, kernel,
/// strides, dilations, pads (top, left, bottom, right), bias and activation.
struct DirectCase: Sendable, CustomTestStringConvertible {
  var images = 1
  var channels = 3
  var outputs = 5
  let plane: [Int]
  var kernel = [3, 3]
  var strides = [1, 1]
  var dilations = [1, 1]
  var pads = [1, 1, 1, 1]
  var bias = true
  var activation: FusedActivation? = nil

  var testDescription: String {
    "N \(images) C \(channels) M \(outputs) plane \(plane) kernel \(kernel) strides \(strides) dilations "
      + "\(dilations) pads \(pads) bias \(bias) activation \(activation.map { "[\($0.low), \($0.high)]" } ?? "none")"
  }

  var attributes: [Attribute] {
    [
      Attribute("kernel_shape", .ints(kernel.map(Int64.init))), Attribute("strides", .ints(strides.map(Int64.init))),
      Attribute("dilations", .ints(dilations.map(Int64.init))), Attribute("pads", .ints(pads.map(Int64.init))),
    ]
  }

  /// Seeded operands in [-1, 1): x [N, C, plane], w [M, C, kernel], bias [M] (or none).
  func operands() throws -> [HostTensor?] {
    var generator = SplitMix64(seed: UInt64(images * 1000 + channels * 100 + outputs * 10 + plane[0] * 7 + plane[1]))
    let random = { (count: Int) in (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) } }
    let x = try HostTensor(shape: [images, channels] + plane, values: random(images * channels * plane[0] * plane[1]))
    let w = try HostTensor(shape: [outputs, channels] + kernel, values: random(outputs * channels * kernel[0] * kernel[1]))
    let b = bias ? try HostTensor(shape: [outputs], values: random(outputs)) : nil
    return [x, w, b]
  }

  /// The definition's result, bias added and activation applied.
  func expected() throws -> [Float] {
    referenceConv(try operands(), strides: strides, pads: pads, dilations: dilations, activation: activation).values
  }

  func geometry() throws -> WindowGeometry {
    let node = Node(name: "conv", opType: "Conv", inputs: [], outputs: [], attributes: attributes)
    return try WindowGeometry(KernelInvocation(node: node, opset: 17, inputs: []), input: plane, kernel: kernel)
  }

  /// The result of `DirectConvolution` itself, whatever `applies` says.
  func direct(threads: Int) throws -> [Float] {
    let inputs = try operands(), geometry = try geometry()
    let y = try HostTensor(uninitialized: .float, shape: [images, outputs] + geometry.output)
    let packed = try DirectConvolution.packWeights(inputs[1]!)
    try DirectConvolution.run(
      x: inputs[0]!.elements(as: Float.self).baseAddress!, weights: packed.elements(as: Float.self).baseAddress!,
      y: y.mutableElements(as: Float.self).baseAddress!,
      bias: inputs[2]?.scalars(as: Float.self) ?? [Float](repeating: 0, count: outputs), activation: activation,
      geometry: geometry, images: images, channels: channels, outputs: outputs, threads: threads)
    return y.scalars(as: Float.self)
  }
}

/// The largest difference from the definition: the sums run in another order, in float.
private func maximumError(_ got: [Float], _ expected: [Float]) -> Float {
  guard got.count == expected.count else { return .infinity }
  return zip(got, expected).map { abs($0 - $1) }.max() ?? 0
}

private let relu = FusedActivation(low: 0, high: .infinity)
private let clip = FusedActivation(low: -0.5, high: 0.75)

@Test(arguments: [
  DirectCase(plane: [5, 7]),
  DirectCase(channels: 3, outputs: 64, plane: [23, 29], kernel: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3]),  // a stem
  DirectCase(outputs: 17, plane: [6, 6], pads: [0, 0, 0, 0]),  // a block of one channel
  DirectCase(outputs: 16, plane: [1, 1], pads: [1, 1, 1, 1]),  // one position
  DirectCase(plane: [8, 13], pads: [0, 2, 1, 0]),  // asymmetric pads, a partial last tile
  DirectCase(plane: [9, 12], kernel: [5, 5], strides: [3, 2], pads: [2, 1, 0, 2]),
  DirectCase(plane: [11, 10], dilations: [2, 3], pads: [2, 3, 2, 3]),
  DirectCase(plane: [7, 9], kernel: [1, 3], strides: [1, 2], pads: [0, 1, 0, 1]),
  DirectCase(plane: [6, 20], bias: false, activation: relu),
  DirectCase(images: 3, channels: 2, outputs: 33, plane: [10, 11], activation: clip),
  DirectCase(images: 2, channels: 1, outputs: 1, plane: [4, 4], kernel: [4, 4], pads: [0, 0, 0, 0]),
  DirectCase(channels: 40, outputs: 70, plane: [7, 7], activation: relu),  // tiles across rows, a partial block
  DirectCase(channels: 24, outputs: 48, plane: [14, 13], strides: [2, 2], pads: [1, 1, 0, 1]),
])
func directConvolutionMatchesTheDefinition(_ setup: DirectCase) throws {
  let expected = try setup.expected()
  for threads in [1, 2] {
    let error = maximumError(try setup.direct(threads: threads), expected)
    #expect(error <= 1e-5, "threads \(threads): error \(error)")
  }
}

@Test func twoDimensionalConvsOfSeveralTapsTakeTheDirectPath() throws {
  let stem = DirectCase(images: 2, channels: 3, outputs: 24, plane: [20, 18], kernel: [7, 7], strides: [2, 2], pads: [3, 2, 3, 1])
  let geometry = try stem.geometry()
  #expect(DirectConvolution.applies(to: geometry, group: 1, channels: 3, outputs: 24))
  #expect(DirectConvolution.applies(to: geometry, group: 1, channels: 3, outputs: 512))
  #expect(!DirectConvolution.applies(to: geometry, group: 3, channels: 3, outputs: 24))
  let pointwise = try DirectCase(plane: [8, 8], kernel: [1, 1], strides: [2, 2], pads: [0, 0, 0, 0]).geometry()
  #expect(!DirectConvolution.applies(to: pointwise, group: 1, channels: 3, outputs: 5))
  let node = Node(name: "conv", opType: "Conv", inputs: [], outputs: [], attributes: [Attribute("pads", .ints([1, 1]))])
  let line = try WindowGeometry(KernelInvocation(node: node, opset: 17, inputs: []), input: [9], kernel: [3])
  #expect(!DirectConvolution.applies(to: line, group: 1, channels: 3, outputs: 5))
  for threads in [1, 2] {
    let y = try runKernel("Conv", try stem.operands(), attributes: stem.attributes, threads: threads, fusedActivation: relu)
    var withRelu = stem
    withRelu.activation = relu
    #expect(maximumError(y.scalars(as: Float.self), try withRelu.expected()) <= 1e-5, "threads \(threads)")
  }
}
