// The range of values a tensor takes, as calibration measures it and quantization uses it.

/// The closed range `[min, max]` of a tensor's values (finite floats, min ≤ max).
public struct TensorRange: Codable, Equatable, Sendable {
  public var min: Float
  public var max: Float

  public init(min: Float, max: Float) {
    precondition(min <= max, "TensorRange needs min <= max")
    self.min = min
    self.max = max
  }

  /// The smallest range holding both this one and `other`.
  public func union(_ other: TensorRange) -> TensorRange {
    TensorRange(min: Swift.min(min, other.min), max: Swift.max(max, other.max))
  }

  /// The largest magnitude in the range: what a symmetric quantizer must cover.
  public var absoluteMaximum: Float { Swift.max(abs(min), abs(max)) }
}
