// Elementwise activation layers: ReLU (leaky), PReLU, Sigmoid, TanH.

import KilnIR

/// ReLU → Relu (LeakyRelu when negative_slope ≠ 0), PReLU → PRelu, Sigmoid, TanH → Tanh.
enum CaffeActivations {
  static func relu(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let slope = c.parameter.reluParam.negativeSlope
    if slope == 0 { return [c.emit("Relu", [c.inputs[0]], shape: c.shape())] }
    return [c.emit("LeakyRelu", [c.inputs[0]], [.float("alpha", slope)], shape: c.shape())]
  }

  /// PReLU's slope is per channel (axis 1), or one value with channel_shared; it broadcasts
  /// from the right, so it gets trailing unit axes.
  static func prelu(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let input = c.shape()
    guard input.count >= 2 else { throw KilnCaffeProblem("needs an input with a channel axis, got shape \(input)") }
    let shared = c.parameter.preluParam.channelShared
    let count = shared ? 1 : input[1]
    let slopeDims = shared ? [1] : [count] + Array(repeating: 1, count: input.count - 2)
    let slope = try c.weights([(role: "slope", dims: slopeDims)])
    return [c.emit("PRelu", [c.inputs[0]] + slope, shape: input)]
  }

  static func sigmoid(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    return [c.emit("Sigmoid", [c.inputs[0]], shape: c.shape())]
  }

  static func tanh(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    return [c.emit("Tanh", [c.inputs[0]], shape: c.shape())]
  }
}
