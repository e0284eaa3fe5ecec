// Convolutions, pools and fully connected layers: NHWC/OHWI TFLite ops as NCHW/OIHW ONNX ops.

import KilnIR

extension TFLiteGraphBuilder {
  /// CONV_2D: weights OHWI → OIHW; grouped when the input has more channels than the weights.
  func convertConvolution(_ op: TFLiteOperator) throws {
    let (x, w) = (try input(op, 0), try input(op, 1))
    let (inputShape, kernel) = (try shape(x, rank: 4), try shape(w, rank: 4))
    let weights = try operand(w, permutation: [0, 3, 1, 2])
    let group = inputShape[3] / max(kernel[3], 1)
    try emitConvolution(op, x: x, weights: weights, kernel: kernel, group: group, fields: (0, 1, 2, 3, 4, 5))
  }

  /// DEPTHWISE_CONV_2D: weights 1HW(C·M) → (C·M)1HW, one group per input channel.
  func convertDepthwiseConvolution(_ op: TFLiteOperator) throws {
    let (x, w) = (try input(op, 0), try input(op, 1))
    let (inputShape, kernel) = (try shape(x, rank: 4), try shape(w, rank: 4))
    let weights = try operand(w, permutation: [3, 0, 1, 2])
    try emitConvolution(op, x: x, weights: weights, kernel: kernel, group: inputShape[3], fields: (0, 1, 2, 4, 5, 6))
  }

  /// Conv over NCHW with explicit pads; `fields` are the option fields of padding, stride w and
  /// h, fused activation, dilation w and h; `kernel` the TFLite weight shape (H at 1, W at 2).
  private func emitConvolution(
    _ op: TFLiteOperator, x: Int, weights: Value, kernel: [Int64], group: Int64,
    fields: (padding: Int, strideW: Int, strideH: Int, activation: Int, dilationW: Int, dilationH: Int)
  ) throws {
    let strides = [Int64(try option(op, fields.strideH, default: Int32(1))), Int64(try option(op, fields.strideW, default: Int32(1)))]
    let dilations = [Int64(try option(op, fields.dilationH, default: Int32(1))), Int64(try option(op, fields.dilationW, default: Int32(1)))]
    let window = [kernel[1], kernel[2]]
    let pads = try padding(op, field: fields.padding, input: x, window: window, strides: strides, dilations: dilations)
    let bias = try optionalInput(op, 2).map { try value($0) }
    let name = name(of: op)
    let conv = emit(
      "Conv", [try value(x, .channelsFirst), weights, bias],
      [
        Attribute("dilations", .ints(dilations)), Attribute("group", .int(group)),
        Attribute("kernel_shape", .ints(window)), Attribute("pads", .ints(pads)), Attribute("strides", .ints(strides)),
      ], name: name)
    let activated = try activation(try option(op, fields.activation, default: Int8(0)), on: conv, name: name)
    try define(try output(op), activated, .channelsFirst)
  }

  /// TRANSPOSE_CONV: inputs (output shape, weights OHWI, input, bias?) → ConvTranspose with
  /// weights IOHW and the pads that give TFLite's output size.
  func convertTransposedConvolution(_ op: TFLiteOperator) throws {
    let (w, x) = (try input(op, 1), try input(op, 2))
    let outputShape = try constantInts(try input(op, 0))
    let (inputShape, kernel) = (try shape(x), try shape(w))
    guard outputShape.count == 4, inputShape.count == 4, kernel.count == 4 else {
      throw KilnError.badInput("TRANSPOSE_CONV needs 4-D input, weights and output shape")
    }
    let strides = [Int64(try option(op, 2, default: Int32(1))), Int64(try option(op, 1, default: Int32(1)))]
    var pads: [Int64] = [0, 0, 0, 0]
    var outputPadding: [Int64] = [0, 0]
    for axis in 0..<2 {
      let total = (inputShape[axis + 1] - 1) * strides[axis] + kernel[axis + 1] - outputShape[axis + 1]
      if total < 0 {
        outputPadding[axis] = -total
      } else {
        pads[axis] = total / 2
        pads[axis + 2] = total - total / 2
      }
    }
    let bias = try optionalInput(op, 3).map { try value($0) }
    let name = name(of: op)
    let conv = emit(
      "ConvTranspose", [try value(x, .channelsFirst), try operand(w, permutation: [3, 0, 1, 2]), bias],
      [
        Attribute("kernel_shape", .ints([kernel[1], kernel[2]])), Attribute("output_padding", .ints(outputPadding)),
        Attribute("pads", .ints(pads)), Attribute("strides", .ints(strides)),
      ], name: name)
    try define(try output(op), try activation(try option(op, 3, default: Int8(0)), on: conv, name: name), .channelsFirst)
  }

  /// FULLY_CONNECTED: Gemm over the input flattened to [-1, in] with weights [out, in].
  func convertFullyConnected(_ op: TFLiteOperator) throws {
    let (x, w, y) = (try input(op, 0), try input(op, 1), try output(op))
    let name = name(of: op)
    let weightShape = try shape(w)
    guard weightShape.count == 2 else { throw KilnError.badInput("weights must be 2-D, not \(weightShape)") }
    var flat = try value(x)
    if try rank(x) != 2 {
      flat = emit("Reshape", [flat, int64s([-1, weightShape[1]], name: name + "_flat_shape")], name: name + "_flat")
    }
    let bias = try optionalInput(op, 2).map { try value($0) }
    var result = emit("Gemm", [flat, try operand(w), bias], [Attribute("transB", .int(1))], name: name)
    result = try activation(try option(op, 0, default: Int8(0)), on: result, name: name)
    if try rank(y) != 2 {
      result = emit("Reshape", [result, int64s(try shape(y), name: name + "_shape")], name: name + "_reshaped")
    }
    try define(y, result, .native)
  }

  /// MAX_POOL_2D and AVERAGE_POOL_2D (Pool2DOptions); average pooling leaves pads out of the
  /// count, as TFLite does.
  func convertPool(_ op: TFLiteOperator, _ onnxOp: String) throws {
    let x = try input(op, 0)
    let strides = [Int64(try option(op, 2, default: Int32(1))), Int64(try option(op, 1, default: Int32(1)))]
    let window = [Int64(try option(op, 4, default: Int32(1))), Int64(try option(op, 3, default: Int32(1)))]
    let pads = try padding(op, field: 0, input: x, window: window, strides: strides, dilations: [1, 1])
    let name = name(of: op)
    let pool = emit(
      onnxOp, [try value(x, .channelsFirst)],
      [Attribute("kernel_shape", .ints(window)), Attribute("pads", .ints(pads)), Attribute("strides", .ints(strides))],
      name: name)
    try define(try output(op), try activation(try option(op, 5, default: Int8(0)), on: pool, name: name), .channelsFirst)
  }

  /// ONNX pads [top, left, bottom, right] for TFLite's Padding option (SAME = 0, VALID = 1) on
  /// an NHWC input; SAME puts the odd pixel at the end, as TFLite does.
  private func padding(
    _ op: TFLiteOperator, field: Int, input x: Int, window: [Int64], strides: [Int64], dilations: [Int64]
  ) throws -> [Int64] {
    let inputShape = try shape(x, rank: 4)
    guard try option(op, field, default: Int8(0)) == 0 else { return [0, 0, 0, 0] }
    var pads: [Int64] = [0, 0, 0, 0]
    for axis in 0..<2 {
      let size = inputShape[axis + 1]
      let stride = max(strides[axis], 1)
      let extent = (window[axis] - 1) * dilations[axis] + 1
      let outputSize = (size + stride - 1) / stride
      let total = max((outputSize - 1) * stride + extent - size, 0)
      pads[axis] = total / 2
      pads[axis + 2] = total - total / 2
    }
    return pads
  }

  /// Tensor `index` with its dims permuted: constants permuted in place (quantized ones keep
  /// their integers), computed tensors through a Transpose.
  func operand(_ index: Int, permutation: [Int]? = nil) throws -> Value {
    if try isConstant(index) { return try constant(index, permutation: permutation) }
    let value = try value(index)
    guard let permutation else { return value }
    return emit("Transpose", [value], [Attribute("perm", .ints(permutation.map(Int64.init)))], name: tensorNames[index] + "_transposed")
  }
}
