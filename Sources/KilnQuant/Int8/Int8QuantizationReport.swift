// What int8 quantization did: each candidate node quantized or skipped (why), and weight sizes.

/// The outcome of `Int8Quantizer.quantize`.
public struct Int8QuantizationReport: Sendable, Codable, Equatable {
  /// One Conv, ConvTranspose, MatMul, Gemm or residual Add (`QuantizableAdd`) node of the main graph.
  public struct NodeOutcome: Sendable, Codable, Equatable {
    public var name: String
    public var opType: String
    public var quantized: Bool
    /// Why the node stayed float32, or what was left float in a quantized node (its bias).
    public var reason: String?

    public init(name: String, opType: String, quantized: Bool, reason: String?) {
      self.name = name
      self.opType = opType
      self.quantized = quantized
      self.reason = reason
    }
  }

  public var nodes: [NodeOutcome] = []
  /// Whether weights were quantized per channel (false when asked for per tensor, or when the
  /// opset is below 13).
  public var perChannel: Bool
  /// Things to know that did not stop quantization.
  public var notes: [String] = []
  /// Bytes of the main graph's initializers before and after.
  public var weightBytesBefore: Int64 = 0
  public var weightBytesAfter: Int64 = 0

  /// The number of nodes quantized.
  public var quantizedCount: Int { nodes.filter(\.quantized).count }
}
