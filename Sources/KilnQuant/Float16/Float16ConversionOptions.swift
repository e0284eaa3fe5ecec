// What fp16 conversion keeps in float32: graph inputs and outputs on request, and blocked ops.

/// Options for `Float16Converter`.
public struct Float16ConversionOptions: Sendable, Equatable {
  /// Graph inputs and outputs stay float32, with Casts to and from float16 inserted.
  public var keepIOTypes: Bool
  /// Op types (default domain) that compute in float32, with Casts around them.
  public var blocklist: Set<String>

  public init(keepIOTypes: Bool = false, blocklist: Set<String> = Self.defaultBlocklist) {
    self.keepIOTypes = keepIOTypes
    self.blocklist = blocklist
  }

  /// Ops kept in float32 by default: index and box arithmetic that loses exactness in float16
  /// (Range, TopK, NonMaxSuppression, RoiAlign, CumSum), sums of squares and exponentials
  /// that overflow 65504 (ReduceSumSquare, ReduceL2, ReduceLogSumExp, the losses), ops whose
  /// schema takes float32 only before opset 19 (QuantizeLinear, DequantizeLinear,
  /// DynamicQuantizeLinear), and ops whose output type is an attribute (random ops, EyeLike).
  public static let defaultBlocklist: Set<String> = [
    "Range", "TopK", "NonMaxSuppression", "RoiAlign", "CumSum",
    "ReduceSumSquare", "ReduceL2", "ReduceLogSumExp", "SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss",
    "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
    "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "EyeLike",
  ]
}

/// Inputs that stay float32 in a node that computes in float16, because the op's schema
/// accepts only float32 there (Kiln's own table; libonnx's schemas are not reachable through
/// CONNX): Resize's roi and scales, Upsample's scales.
enum Float32OnlyInputs {
  static func contains(_ opType: String, input index: Int, opset: Int64) -> Bool {
    switch opType {
    case "Resize": opset >= 11 ? (index == 1 || index == 2) : index == 1
    case "Upsample": index == 1
    default: false
    }
  }
}
