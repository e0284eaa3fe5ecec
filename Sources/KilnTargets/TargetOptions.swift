// Choices the user makes when writing a target's files.

import KilnONNX
import KilnQuant

/// How a target writes its files.
public struct TargetOptions: Sendable {
  /// Store weights as float16 where the format allows (ncnn, OpenVINO compressed weights).
  public var float16Weights: Bool
  /// Activation ranges by tensor name (from `kiln calibrate` statistics) for the target's int8
  /// scheme (ncnn's int8 table); nil for no int8 output.
  public var int8Ranges: [String: TensorRange]?
  /// Where the ONNX target puts weights.
  public var onnx: ONNXWriteOptions

  public init(float16Weights: Bool = false, int8Ranges: [String: TensorRange]? = nil, onnx: ONNXWriteOptions = .init()) {
    self.float16Weights = float16Weights
    self.int8Ranges = int8Ranges
    self.onnx = onnx
  }
}
