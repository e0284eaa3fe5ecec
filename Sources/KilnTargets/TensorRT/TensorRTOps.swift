// The ONNX ops TensorRT's ONNX parser takes, from onnx-tensorrt's operator support matrix.

import KilnIR
import KilnPasses

/// The ops of onnx-tensorrt's `docs/operators.md` for TensorRT 8.5 (opsets up to 17) marked
/// supported, with the restrictions the matrix states that a graph can show. Restrictions it
/// states about run-time behaviour (RNN activations, If branch shapes) are not checked.
enum TensorRTOps {
  /// The TensorRT release the table is from.
  static let version = "8.5"

  /// Every op, plain ones first, then those with conditions.
  static let all: [SupportedOp] = plain.map { SupportedOp($0) } + conditional

  /// Ops the matrix supports without a restriction.
  private static let plain = [
    "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh",
    "BatchNormalization", "Cast", "Ceil", "Celu", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv",
    "ConvTranspose", "Cos", "Cosh", "DepthToSpace", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp", "Expand",
    "EyeLike", "Flatten", "Floor", "Gather", "GatherElements", "GatherND", "Gemm", "GlobalAveragePool",
    "GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "GridSample", "GRU", "HardSigmoid",
    "HardSwish", "Identity", "If", "ImageScaler", "IsNaN", "LeakyRelu", "Less", "LessOrEqual", "Log",
    "LogSoftmax", "Loop", "LRN", "LSTM", "LpNormalization", "LpPool", "MatMul", "Max", "Mean",
    "MeanVarianceNormalization", "Min", "Mod", "Mul", "Neg", "NonMaxSuppression", "NonZero", "Not", "OneHot",
    "Or", "Pad", "ParametricSoftplus", "Pow", "PRelu", "RandomNormal", "RandomNormalLike", "RandomUniform",
    "RandomUniformLike", "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
    "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Reshape",
    "RNN", "RoiAlign", "Round", "ScaledTanh", "Scan", "Scatter", "ScatterElements", "ScatterND", "Selu",
    "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Softmax", "Softplus", "Softsign",
    "SpaceToDepth", "Split", "Sqrt", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "Transpose",
    "Trilu", "Upsample", "Where", "Xor",
  ]

  private static let conditional: [SupportedOp] = [
    SupportedOp("AveragePool", constraints: ["2-D or 3-D pooling only"], check: OpConditions.spatialRank(2...3, "pooling")),
    SupportedOp(
      "MaxPool", constraints: ["2-D or 3-D pooling only", "no Indices output"],
      check: OpConditions.all([OpConditions.spatialRank(2...3, "pooling"), noIndices])),
    SupportedOp("CumSum", constraints: ["axis must be a constant"], check: OpConditions.constantInput(1, "axis")),
    SupportedOp(
      "DequantizeLinear", constraints: ["int8 input", "x_zero_point must be 0"],
      check: OpConditions.all([int8Input, OpConditions.zeroInput(2, "x_zero_point")])),
    SupportedOp(
      "QuantizeLinear", constraints: ["int8 output", "y_zero_point must be 0"],
      check: OpConditions.all([int8ZeroPoint, OpConditions.zeroInput(2, "y_zero_point")])),
    SupportedOp("Einsum", constraints: ["no ellipsis"], check: noEllipsis),
    SupportedOp(
      "InstanceNormalization", constraints: ["scale and B must be constants", "input rank 3 to 5"],
      check: OpConditions.all([
        OpConditions.constantInput(1, "scale"), OpConditions.constantInput(2, "B"), rank(3...5),
      ])),
    SupportedOp(
      "Resize",
      constraints: [
        "coordinate_transformation_mode half_pixel, pytorch_half_pixel, tf_half_pixel_for_nn, asymmetric or align_corners",
        "mode nearest or linear", "nearest_mode floor, ceil, round_prefer_floor or round_prefer_ceil",
      ],
      check: OpConditions.all([
        OpConditions.oneOf(
          "coordinate_transformation_mode",
          ["half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn", "asymmetric", "align_corners"],
          default: "half_pixel"),
        OpConditions.oneOf("mode", ["nearest", "linear"], default: "nearest"),
        OpConditions.oneOf(
          "nearest_mode", ["floor", "ceil", "round_prefer_floor", "round_prefer_ceil"], default: "round_prefer_floor"),
      ])),
    SupportedOp("ReverseSequence", constraints: ["static input shape"], check: staticInput),
    SupportedOp("Slice", constraints: ["axes must be a constant"], check: OpConditions.constantInput(3, "axes")),
    SupportedOp("Squeeze", constraints: ["axes must be a constant"], check: OpConditions.constantInput(1, "axes")),
    SupportedOp("Unsqueeze", constraints: ["axes must be a constant"], check: OpConditions.constantInput(1, "axes")),
    SupportedOp("TopK", constraints: ["K must be a constant"], check: OpConditions.constantInput(1, "K")),
  ]

  private static let noIndices: @Sendable (Node) -> String? = { node in
    node.outputs.count > 1 && node.outputs[1] != nil ? "the Indices output is not supported" : nil
  }

  private static let int8Input: @Sendable (Node) -> String? = { node in
    guard let input = node.inputs.first ?? nil, let type = elementType(input), type != .int8 else { return nil }
    return "input x is \(type.name); only int8"
  }

  /// QuantizeLinear's output type is its zero point's; without one it is uint8.
  private static let int8ZeroPoint: @Sendable (Node) -> String? = { node in
    let type = node.inputs.count > 2 ? node.inputs[2].flatMap(elementType) : nil
    return type == .int8 ? nil : "the output is \(type?.name ?? "uint8"); only int8 (give an int8 y_zero_point)"
  }

  /// A value's element type: its constant's, else its declared one.
  private static func elementType(_ value: Value) -> DataType? {
    value.constant?.dataType ?? value.elementType
  }

  private static let noEllipsis: @Sendable (Node) -> String? = { node in
    (node.string("equation") ?? "").contains("...") ? "ellipsis in the equation is not supported" : nil
  }

  private static let staticInput: @Sendable (Node) -> String? = { node in
    node.inputs.first??.tensorShape?.staticSizes == nil ? "the input shape must be static" : nil
  }

  private static func rank(_ ranks: ClosedRange<Int>) -> @Sendable (Node) -> String? {
    { node in
      guard let rank = node.inputs.first??.tensorShape?.rank, !ranks.contains(rank) else { return nil }
      return "input rank \(rank); only \(ranks.lowerBound) to \(ranks.upperBound)"
    }
  }
}
