// Upsample layers (YOLO-style Caffe forks, in the schema's UpsampleParameter) to ONNX Resize.

import Foundation
import KilnIR

/// Upsample → Resize, nearest neighbour by an integer `scale` on both spatial axes:
///
///     y[n, c, h, w] = x[n, c, ⌊h / s⌋, ⌊w / s⌋]
///
/// which is Resize with scales [1, 1, s, s], `asymmetric` coordinates and `floor` rounding.
enum CaffeUpsample {
  static func upsample(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let input = c.shape()
    let scale = Int(c.parameter.upsampleParam.scale)
    guard input.count == 4 else { throw KilnCaffeProblem("upsampling needs a 4-D input, got shape \(input)") }
    guard scale > 0 else { throw KilnCaffeProblem("scale \(scale) must be positive") }
    let scales = c.constant("scales", [1, 1, Float(scale), Float(scale)], dims: [4])
    let attributes = [
      Attribute("mode", .string(Data("nearest".utf8))),
      Attribute("coordinate_transformation_mode", .string(Data("asymmetric".utf8))),
      Attribute("nearest_mode", .string(Data("floor".utf8))),
    ]
    return [c.emit("Resize", [c.inputs[0], nil, scales], attributes, shape: [input[0], input[1], input[2] * scale, input[3] * scale])]
  }
}
