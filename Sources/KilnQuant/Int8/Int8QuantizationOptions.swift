// What int8 quantization does: weight granularity, the activation scheme, which nodes stay float.

/// Options for `Int8Quantizer`.
public struct Int8QuantizationOptions: Sendable, Equatable {
  /// The integer type of quantized activations.
  public enum ActivationType: String, Sendable, CaseIterable, Codable {
    case int8, uint8
  }

  /// One weight scale per output channel (needs opset 13; below, weights fall back to one
  /// scale per tensor and the report says so); false for one scale per weight tensor.
  public var perChannel: Bool
  /// The integer type of activations.
  public var activationType: ActivationType
  /// Activations get zero point 0 (int8) or 128 (uint8) and a range symmetric around 0, as
  /// TensorRT expects.
  public var symmetricActivations: Bool
  /// Whether ConvTranspose nodes are quantized (weights per channel on axis 1).
  public var quantizeConvTranspose: Bool
  /// Whether biases become int32 behind DequantizeLinear; false leaves them float32, as
  /// TensorRT wants (its DequantizeLinear takes int8 only, and it fuses the float bias).
  public var quantizeBias: Bool
  /// Op types left in float32 (default domain).
  public var skipOpTypes: Set<String>
  /// Node names left in float32.
  public var skipNodes: Set<String>

  public init(
    perChannel: Bool = true, activationType: ActivationType = .int8, symmetricActivations: Bool = false,
    quantizeConvTranspose: Bool = true, quantizeBias: Bool = true, skipOpTypes: Set<String> = [], skipNodes: Set<String> = []
  ) {
    self.perChannel = perChannel
    self.activationType = activationType
    self.symmetricActivations = symmetricActivations
    self.quantizeConvTranspose = quantizeConvTranspose
    self.quantizeBias = quantizeBias
    self.skipOpTypes = skipOpTypes
    self.skipNodes = skipNodes
  }
}
