// Pooling layers (MAX, AVE, global) to ONNX MaxPool, AveragePool and the global pools.

import CaffeProto
import KilnIR

/// Pooling → MaxPool / AveragePool (GlobalMaxPool / GlobalAveragePool for global_pooling).
///
/// Caffe rounds the output size up (`ceil_mode`, true unless the field says otherwise) and then
/// drops a last window that would start in the padding:
///
///     out = ceil((in + 2·pad − k) / s) + 1;   if pad > 0 and (out − 1)·s ≥ in + pad: out −= 1
///
/// which is ONNX's `ceil_mode=1` (that clipping included). Caffe's AVE divides by the window
/// clipped to the padded input, padding counted: `count_include_pad=1`.
enum CaffePooling {
  static func pooling(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let p = c.parameter.poolingParam
    let input = c.shape()
    guard input.count == 4 else { throw KilnCaffeProblem("pooling needs a 4-D input, got shape \(input)") }
    guard p.pool == .max || p.pool == .ave else {
      throw KilnCaffeProblem("\(String(describing: p.pool).uppercased()) pooling is not supported (only MAX and AVE)")
    }
    if p.globalPooling {
      return [c.emit(p.pool == .max ? "GlobalMaxPool" : "GlobalAveragePool", [c.inputs[0]], shape: Array(input.prefix(2)) + [1, 1])]
    }
    let window = try CaffeWindow(p)
    guard window.pads.indices.allSatisfy({ window.pads[$0] < window.kernel[$0] }) else {
      throw KilnCaffeProblem("pad \(window.pads) must be smaller than the kernel \(window.kernel)")
    }
    let spatial = Array(input.dropFirst(2))
    guard spatial.indices.allSatisfy({ spatial[$0] + 2 * window.pads[$0] >= window.kernel[$0] }) else {
      throw KilnCaffeProblem("the window \(window.kernel) is larger than the padded input \(input)")
    }
    let floorSizes = window.convolutionOutput(spatial)
    let sizes = p.ceilMode ? ceilSizes(spatial, window) : floorSizes
    var attributes = [Attribute.ints("kernel_shape", window.kernel), .ints("pads", window.pads + window.pads),
                      .ints("strides", window.strides), .int("ceil_mode", sizes == floorSizes ? 0 : 1)]
    if p.pool == .ave { attributes.append(.int("count_include_pad", 1)) }
    return [c.emit(p.pool == .max ? "MaxPool" : "AveragePool", [c.inputs[0]], attributes, shape: Array(input.prefix(2)) + sizes)]
  }

  /// Caffe's output sizes with ceil rounding and the last window clipped into the padded input.
  private static func ceilSizes(_ input: [Int], _ window: CaffeWindow) -> [Int] {
    input.indices.map { axis in
      let (size, pad, stride) = (input[axis], window.pads[axis], window.strides[axis])
      let room = size + 2 * pad - window.kernel[axis]
      var out = (room + stride - 1) / stride + 1
      if pad > 0, (out - 1) * stride >= size + pad { out -= 1 }
      return out
    }
  }
}
