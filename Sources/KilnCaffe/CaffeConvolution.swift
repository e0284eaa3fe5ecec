// Convolution and Deconvolution layers to ONNX Conv and ConvTranspose.

import KilnIR

/// Convolution → Conv, Deconvolution → ConvTranspose: groups, dilation, per-axis or `_h`/`_w`
/// pad, kernel and stride, optional bias. Caffe's weights are laid out as ONNX's already
/// (Conv: out × in/group × kernel; ConvTranspose: in × out/group × kernel).
enum CaffeConvolution {
  static func convolution(_ c: CaffeLayerContext) throws -> [Value] {
    try convert(c, transposed: false)
  }

  static func deconvolution(_ c: CaffeLayerContext) throws -> [Value] {
    try convert(c, transposed: true)
  }

  private static func convert(_ c: CaffeLayerContext, transposed: Bool) throws -> [Value] {
    try c.requireInputs(1)
    let p = c.parameter.convolutionParam
    let input = c.shape()
    guard input.count >= 3 else { throw KilnCaffeProblem("needs an input with spatial axes, got shape \(input)") }
    guard try c.axis(Int(p.axis), rank: input.count) == 1 else {
      throw KilnCaffeProblem("convolution over axis \(p.axis) is not supported (only the channel axis 1)")
    }
    let window = try CaffeWindow(p, spatialRank: input.count - 2)
    let channels = input[1]
    let outputs = Int(p.numOutput)
    let group = Int(p.group)
    guard outputs > 0, group > 0, channels % group == 0, outputs % group == 0 else {
      throw KilnCaffeProblem("num_output \(outputs) and input channels \(channels) must be positive multiples of group \(group)")
    }
    let weightDims = transposed ? [channels, outputs / group] + window.kernel : [outputs, channels / group] + window.kernel
    var expected = [(role: "weights", dims: weightDims)]
    if p.biasTerm { expected.append((role: "bias", dims: [outputs])) }
    let weights = try c.weights(expected)
    let spatial = Array(input.dropFirst(2))
    let outputSpatial = transposed ? window.deconvolutionOutput(spatial) : window.convolutionOutput(spatial)
    guard outputSpatial.allSatisfy({ $0 > 0 }) else {
      throw KilnCaffeProblem("the window does not fit the input \(input): output spatial size \(outputSpatial)")
    }
    let output = c.emit(
      transposed ? "ConvTranspose" : "Conv", [c.inputs[0]] + weights, window.attributes + [.int("group", group)],
      shape: [input[0], outputs] + outputSpatial)
    return [output]
  }
}
