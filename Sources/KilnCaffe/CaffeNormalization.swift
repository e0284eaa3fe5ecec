// BatchNorm and Scale layers to ONNX BatchNormalization, Mul and Add.

import CaffeProto
import KilnIR

/// BatchNorm → BatchNormalization; Scale → Mul (+ Add with bias_term).
///
/// Caffe's BatchNorm keeps running sums: its third blob is a scale factor s, and
///
///     y = (x − mean/s) / √(var/s + eps)     (s = 0 reads as factor 0)
///
/// with no affine part (a following Scale layer has it), so γ = 1 and β = 0. The default
/// pipeline folds both into the Conv before them.
enum CaffeNormalization {
  static func batchNorm(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let p = c.parameter.batchNormParam
    if p.hasUseGlobalStats, !p.useGlobalStats {
      throw KilnCaffeProblem("use_global_stats: false normalizes with batch statistics, which inference cannot do")
    }
    let input = c.shape()
    guard input.count >= 2 else { throw KilnCaffeProblem("needs an input with a channel axis, got shape \(input)") }
    let channels = input[1]
    let blobs = try c.blobValues([
      (role: "mean", dims: [channels]), (role: "variance", dims: [channels]), (role: "scale_factor", dims: [1]),
    ])
    let multiplier: Float = blobs[2][0] == 0 ? 0 : 1 / blobs[2][0]
    let mean = c.constant("mean", blobs[0].map { $0 * multiplier }, dims: [channels])
    let variance = c.constant("variance", blobs[1].map { $0 * multiplier }, dims: [channels])
    let scale = c.constant("scale", Array(repeating: 1, count: channels), dims: [channels])
    let bias = c.constant("bias", Array(repeating: 0, count: channels), dims: [channels])
    return [c.emit("BatchNormalization", [c.inputs[0], scale, bias, mean, variance], [.float("epsilon", p.eps)], shape: input)]
  }

  /// Scale multiplies by a blob (or by the second bottom) spanning axes axis..<axis+num_axes,
  /// broadcast over the rest; trailing unit axes make ONNX's right-aligned broadcast agree.
  static func scale(_ c: CaffeLayerContext) throws -> [Value] {
    guard c.inputs.count == 1 || c.inputs.count == 2 else {
      throw KilnCaffeProblem("has \(c.inputs.count) bottom blobs, expected 1 or 2")
    }
    let p = c.parameter.scaleParam
    let input = c.shape()
    let axis = try c.axis(Int(p.axis), rank: input.count)
    let span = try spannedDims(input, axis: axis, numAxes: Int(p.numAxes), given: c.inputs.count == 2 ? c.shape(1) : nil)
    let broadcast = span + Array(repeating: 1, count: input.count - axis - span.count)
    var expected: [(role: String, dims: [Int])] = []
    if c.inputs.count == 1 { expected.append((role: "scale", dims: broadcast)) }
    if p.biasTerm { expected.append((role: "bias", dims: broadcast)) }
    let weights = expected.isEmpty ? [] : try c.weights(expected)
    let factor = c.inputs.count == 2
      ? c.emit("Reshape", [c.inputs[1], c.constant("scale_shape", int64s: broadcast)], shape: broadcast)
      : weights[0]
    var output = c.emit("Mul", [c.inputs[0], factor], shape: input)
    if p.biasTerm { output = c.emit("Add", [output, weights[weights.count - 1]], shape: input) }
    return [output]
  }

  /// The dims the scale spans: the second bottom's, else input[axis..<axis+numAxes] (numAxes
  /// −1: to the end).
  private static func spannedDims(_ input: [Int], axis: Int, numAxes: Int, given: [Int]?) throws -> [Int] {
    if let given {
      guard Array(input[axis...].prefix(given.count)) == given else {
        throw KilnCaffeProblem("the scale blob's shape \(given) does not match the input \(input) from axis \(axis)")
      }
      return given
    }
    let end = numAxes == -1 ? input.count : axis + numAxes
    guard numAxes >= -1, end <= input.count else {
      throw KilnCaffeProblem("num_axes \(numAxes) from axis \(axis) is out of range for an input of rank \(input.count)")
    }
    return Array(input[axis..<end])
  }
}
