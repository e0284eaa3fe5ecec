// Choices the user makes when writing a target's files.

/// How a target writes its files.
public struct TargetOptions: Sendable {
  /// Store weights as float16 where the format allows (ncnn, OpenVINO compressed weights).
  public var float16Weights: Bool

  public init(float16Weights: Bool = false) {
    self.float16Weights = float16Weights
  }
}
