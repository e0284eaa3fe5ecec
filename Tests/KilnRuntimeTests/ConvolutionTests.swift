// Conv and ConvTranspose on small hand-computed cases.

import KilnIR
import KilnRuntime
import Testing

private let nine = (1...9).map(Float.init)

@Test func convSlidesAKernelAndAddsBias() throws {
  let x = try linearFloats([1, 1, 3, 3], nine), w = try linearFloats([1, 1, 2, 2], [1, 1, 1, 1])
  let y = try runLinearKernel("Conv", [x, w, try linearFloats([1], [1])])[0]
  #expect(y?.shape == [1, 1, 2, 2])
  #expect(y?.scalars(as: Float.self) == [13, 17, 25, 29])
}

@Test func convPadsWithSameUpper() throws {
  let x = try linearFloats([1, 1, 3, 3], nine), w = try linearFloats([1, 1, 3, 3], [Float](repeating: 1, count: 9))
  let y = try runLinearKernel("Conv", [x, w], attributes: ["auto_pad": linearString("SAME_UPPER")])[0]
  #expect(y?.shape == [1, 1, 3, 3])
  #expect(y?.scalars(as: Float.self) == [12, 21, 16, 27, 45, 33, 24, 39, 28])
}

@Test func convWithGroupsStridesAndDilations() throws {
  let depthwise = try runLinearKernel(
    "Conv", [try linearFloats([1, 2, 2], [1, 2, 3, 4]), try linearFloats([2, 1, 1], [2, 10])], attributes: ["group": .int(2)])[0]
  #expect(depthwise?.scalars(as: Float.self) == [2, 4, 30, 40])
  let x = try linearFloats([1, 1, 5], [1, 2, 3, 4, 5]), w = try linearFloats([1, 1, 2], [1, 1])
  let dilated = try runLinearKernel("Conv", [x, w], attributes: ["dilations": .ints([2])])[0]
  #expect(dilated?.scalars(as: Float.self) == [4, 6, 8])
  let strided = try runLinearKernel("Conv", [x, w], attributes: ["strides": .ints([2]), "pads": .ints([1, 0])])[0]
  #expect(strided?.scalars(as: Float.self) == [1, 5, 9])
}

@Test func convRefusesMismatchedChannelsAndOversizedKernels() throws {
  let x = try linearFloats([1, 2, 2], [1, 2, 3, 4])
  #expect(throws: KilnError.self) { try runLinearKernel("Conv", [x, try linearFloats([1, 3, 1], [1, 1, 1])]) }
  #expect(throws: KilnError.self) { try runLinearKernel("Conv", [x, try linearFloats([1, 2, 3], [Float](repeating: 1, count: 6))]) }
  #expect(throws: KilnError.self) {
    try runLinearKernel("Conv", [x, try linearFloats([1, 1, 1], [1])], attributes: ["group": .int(0)])
  }
  #expect(throws: KilnError.self) {
    try runLinearKernel("Conv", [x, try linearFloats([1, 2, 1], [1, 1])], attributes: ["pads": .ints([1 << 62, 1 << 62])])
  }
}

@Test func convTransposeScattersWithStridesAndOutputPadding() throws {
  let x = try linearFloats([1, 1, 2], [1, 2]), w = try linearFloats([1, 1, 2], [1, 1])
  #expect(try runLinearKernel("ConvTranspose", [x, w])[0]?.scalars(as: Float.self) == [1, 3, 2])
  let strided = try runLinearKernel("ConvTranspose", [x, w], attributes: ["strides": .ints([2])])[0]
  #expect(strided?.scalars(as: Float.self) == [1, 1, 2, 2])
  let padded = try runLinearKernel(
    "ConvTranspose", [x, w], attributes: ["strides": .ints([2]), "output_padding": .ints([1])])[0]
  #expect(padded?.scalars(as: Float.self) == [1, 1, 2, 2, 0])
  let shaped = try runLinearKernel(
    "ConvTranspose", [x, w], attributes: ["strides": .ints([2]), "output_shape": .ints([3])])[0]
  #expect(shaped?.scalars(as: Float.self) == [1, 2, 2])
}

@Test func convTransposeRefusesIndivisibleGroups() throws {
  let x = try linearFloats([1, 3, 1], [1, 2, 3]), w = try linearFloats([3, 1, 1], [1, 1, 1])
  #expect(throws: KilnError.self) { try runLinearKernel("ConvTranspose", [x, w], attributes: ["group": .int(2)]) }
}

@Test func convKeepsHalfPrecision() throws {
  let x = try HostTensor(shape: [1, 1, 3], values: [Float16(1), 2, 3])
  let w = try HostTensor(shape: [1, 1, 2], values: [Float16(1), 0.5])
  let y = try runLinearKernel("Conv", [x, w])[0]
  #expect(y?.dataType == .float16)
  #expect(y?.scalars(as: Float16.self) == [2, 3.5])
}

/// 2-D Conv by definition, one output at a time: the reference the fast paths must match.
/// `strides` and `dilations` are (height, width), `pads` (top, left, bottom, right).
func directConv(
  _ x: [Float], _ xShape: [Int], _ w: [Float], _ wShape: [Int], group: Int, strides: [Int], pads: [Int],
  dilations: [Int]
) -> [Float] {
  let (n, c, h, width) = (xShape[0], xShape[1], xShape[2], xShape[3])
  let (m, cg, kh, kw) = (wShape[0], wShape[1], wShape[2], wShape[3])
  let oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0] + 1
  let ow = (width + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1] + 1
  var y = [Float](repeating: 0, count: n * m * oh * ow)
  for image in 0..<n {
    for out in 0..<m {
      for row in 0..<oh {
        for column in 0..<ow {
          var sum: Float = 0
          for channel in 0..<cg {
            let inChannel = out / (m / group) * cg + channel
            for i in 0..<kh {
              for j in 0..<kw {
                let r = row * strides[0] - pads[0] + i * dilations[0]
                let s = column * strides[1] - pads[1] + j * dilations[1]
                guard r >= 0, r < h, s >= 0, s < width else { continue }
                sum += x[((image * c + inChannel) * h + r) * width + s] * w[((out * cg + channel) * kh + i) * kw + j]
              }
            }
          }
          y[((image * m + out) * oh + row) * ow + column] = sum
        }
      }
    }
  }
  return y
}

/// The definition's result for `inputs` [x, w, bias or nil] of a 2-D Conv with one group: bias
/// added, `activation` applied; and the largest magnitude before the activation.
func referenceConv(
  _ inputs: [HostTensor?], strides: [Int], pads: [Int], dilations: [Int], activation: FusedActivation?
) -> (values: [Float], scale: Float) {
  let (x, w) = (inputs[0]!, inputs[1]!)
  let sums = directConv(
    x.scalars(as: Float.self), x.shape, w.scalars(as: Float.self), w.shape, group: 1, strides: strides, pads: pads,
    dilations: dilations)
  let outputs = w.shape[0]
  let bias = inputs[2]?.scalars(as: Float.self) ?? [Float](repeating: 0, count: outputs)
  let planeSize = sums.count / max(x.shape[0] * outputs, 1)
  let biased = sums.enumerated().map { $0.element + bias[$0.offset / planeSize % outputs] }
  let values = activation.map { clamp in biased.map { min(max($0, clamp.low), clamp.high) } } ?? biased
  return (values, biased.map(abs).max() ?? 0)
}

@Test(arguments: [
  (group: 1, stride: 1, pad: 1, dilation: 1, channels: 4, outputs: 6),  // Winograd
  (group: 1, stride: 1, pad: 1, dilation: 1, channels: 1, outputs: 6),  // im2col + GEMM
  (group: 2, stride: 2, pad: 2, dilation: 2, channels: 4, outputs: 6),  // grouped, strided, dilated
  (group: 8, stride: 2, pad: 1, dilation: 1, channels: 8, outputs: 8),  // depthwise
  (group: 1, stride: 1, pad: 0, dilation: 1, channels: 8, outputs: 3),  // pointwise (1×1 below)
  (group: 1, stride: 1, pad: 0, dilation: 1, channels: 64, outputs: 160),  // pointwise, split by rows
])
func convMatchesTheDefinitionOnOneAndTwoThreads(
  _ setup: (group: Int, stride: Int, pad: Int, dilation: Int, channels: Int, outputs: Int)
) throws {
  let kernel = setup.pad == 0 ? 1 : 3
  let xShape = [2, setup.channels, 13, 11], wShape = [setup.outputs, setup.channels / setup.group, kernel, kernel]
  let x = (0..<xShape.reduce(1, *)).map { Float(($0 * 37) % 19) / 9 - 1 }
  let w = (0..<wShape.reduce(1, *)).map { Float(($0 * 23) % 17) / 8 - 1 }
  let expected = directConv(
    x, xShape, w, wShape, group: setup.group, strides: [setup.stride, setup.stride],
    pads: [Int](repeating: setup.pad, count: 4), dilations: [setup.dilation, setup.dilation])
  let attributes = [
    Attribute("group", .int(Int64(setup.group))), Attribute("strides", .ints([Int64(setup.stride), Int64(setup.stride)])),
    Attribute("pads", .ints([Int64](repeating: Int64(setup.pad), count: 4))),
    Attribute("dilations", .ints([Int64(setup.dilation), Int64(setup.dilation)])),
  ]
  for threads in [1, 2] {
    let y = try runKernel(
      "Conv", [try HostTensor(shape: xShape, values: x), try HostTensor(shape: wShape, values: w)],
      attributes: attributes, threads: threads)
    let got = y.scalars(as: Float.self)
    #expect(got.count == expected.count)
    #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }, "threads \(threads)")
  }
}
