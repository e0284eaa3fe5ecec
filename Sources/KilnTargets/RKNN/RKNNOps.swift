// The ONNX ops rknn-toolkit2 converts, from its operator support list.

import KilnIR
import KilnPasses

/// The ONNX ops of rknn-toolkit2's `doc/RKNNToolKit2_OP_Support-v2.1.0.md` (the ONNX part of
/// its RKNN_Compiler_Support_Operator_List) not marked "Not Supported", with the remarks a
/// graph can show: batch 1, constant inputs, Resize modes.
enum RKNNOps {
  /// The rknn-toolkit2 release the table is from.
  static let version = "2.1.0"

  /// Every op, plain ones first, then those with conditions.
  static let all: [SupportedOp] = plain.map { SupportedOp($0) } + conditional

  private static let plain = [
    "Add", "And", "ArgMax", "ArgMin", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant",
    "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "DepthToSpace", "DequantizeLinear", "Div", "Dropout", "Elu",
    "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather", "GatherElements", "Gemm", "GlobalAveragePool",
    "GlobalMaxPool", "Greater", "GreaterOrEqual", "HardSigmoid", "HardSwish", "Identity", "InstanceNormalization",
    "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LpNormalization", "LRN", "LSTM", "MatMul",
    "Max", "MaxPool", "MaxRoiPool", "MaxUnpool", "MeanVarianceNormalization", "Min", "Mish", "Mod", "Mul", "Pad",
    "Pow", "PRelu", "QuantizeLinear", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceSum", "Relu", "Reshape",
    "ReverseSequence", "ScatterND", "Shape", "Sigmoid", "Sin", "Size", "Softplus", "SpaceToDepth", "Split", "Sqrt",
    "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze", "Where",
  ]

  private static let conditional: [SupportedOp] =
    ["GRU", "LogSoftmax", "Slice", "Softmax", "Tile"].map {
      SupportedOp($0, constraints: ["batch 1"], check: OpConditions.batchOne)
    } + [
      SupportedOp("EyeLike", constraints: ["constant input"], check: OpConditions.constantInput(0, "the input")),
      SupportedOp("If", constraints: ["constant condition"], check: OpConditions.constantInput(0, "the condition")),
      SupportedOp(
        "Resize", constraints: ["mode nearest or linear (nearest2d, bilinear)", "4-D input"],
        check: OpConditions.all([OpConditions.oneOf("mode", ["nearest", "linear"], default: "nearest"), fourDimensional])),
      SupportedOp(
        "RoiAlign", constraints: ["mode avg", "batch 1"],
        check: OpConditions.all([OpConditions.oneOf("mode", ["avg"], default: "avg"), OpConditions.batchOne])),
    ]

  private static let fourDimensional: @Sendable (Node) -> String? = { node in
    guard let rank = node.inputs.first??.tensorShape?.rank, rank != 4 else { return nil }
    return "a \(rank)-D input; only 4-D (N, C, H, W)"
  }
}
