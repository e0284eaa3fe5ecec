// InnerProduct layers to ONNX Gemm, flattening the input from `axis` first.

import KilnIR

/// InnerProduct → [Flatten] → Gemm → [Reshape].
///
///     y[..axis, n] = Σ_k x[..axis, k] · W[n, k] + b[n]     (transpose: W[k, n])
///
/// The input is flattened to 2-D at `axis` (Flatten is skipped when it is 2-D already); an
/// `axis` past 1 gets the leading axes back with a Reshape.
enum CaffeInnerProduct {
  static func innerProduct(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let p = c.parameter.innerProductParam
    let input = c.shape()
    let axis = try c.axis(Int(p.axis), rank: input.count)
    let outputs = Int(p.numOutput)
    guard outputs > 0 else { throw KilnCaffeProblem("num_output must be positive") }
    let rows = input[..<axis].reduce(1, *)
    let depth = input[axis...].reduce(1, *)
    var expected = [(role: "weights", dims: p.transpose ? [depth, outputs] : [outputs, depth])]
    if p.biasTerm { expected.append((role: "bias", dims: [outputs])) }
    let weights = try c.weights(expected)
    var flat = c.inputs[0]
    if input != [rows, depth] {
      flat = c.emit("Flatten", [flat], [.int("axis", axis)], shape: [rows, depth])
    }
    var output = c.emit("Gemm", [flat] + weights, [.int("transB", p.transpose ? 0 : 1)], shape: [rows, outputs])
    let shape = Array(input[..<axis]) + [outputs]
    if shape != [rows, outputs] {
      output = c.emit("Reshape", [output, c.constant("shape", int64s: shape)], shape: shape)
    }
    return [output]
  }
}
