// Choices the user makes when writing a target's files.

import KilnONNX
import KilnQuant

/// How a target writes its files.
public struct TargetOptions {
  /// Store weights as float16 where the format allows (ncnn, OpenVINO compressed weights);
  /// for TensorRT, build a float16 engine.
  public var float16Weights: Bool
  /// Activation ranges by tensor name (from `kiln calibrate` statistics) for the target's int8
  /// scheme (ncnn's int8 table, TensorRT's QDQ); nil for no int8 output.
  public var int8Ranges: [String: TensorRange]?
  /// Where the ONNX target puts weights.
  public var onnx: ONNXWriteOptions
  /// Shape ranges of graph inputs whose dims stay dynamic (TensorRT's optimization profile).
  public var inputShapeRanges: [String: InputShapeRange]
  /// Run the vendor tool that finishes the target's files (`--build`: trtexec, rknn-toolkit2).
  public var build: Bool
  /// The device the vendor tool builds for (`--target-platform`, RKNN's `rk3588`); nil for
  /// the target's default.
  public var platform: String?
  /// Samples for the vendor tool: its int8 calibration data (RKNN), or nil for float.
  public var int8Samples: (any CalibrationSource)?

  public init(
    float16Weights: Bool = false, int8Ranges: [String: TensorRange]? = nil, onnx: ONNXWriteOptions = .init(),
    inputShapeRanges: [String: InputShapeRange] = [:], build: Bool = false, platform: String? = nil,
    int8Samples: (any CalibrationSource)? = nil
  ) {
    self.float16Weights = float16Weights
    self.int8Ranges = int8Ranges
    self.onnx = onnx
    self.inputShapeRanges = inputShapeRanges
    self.build = build
    self.platform = platform
    self.int8Samples = int8Samples
  }
}
