// What fp16 conversion did: nodes kept in float32, Casts added, weights clipped or flushed.

/// The outcome of `Float16Converter.convert`.
public struct Float16ConversionReport: Sendable, Codable, Equatable {
  /// A float32 constant whose values did not all fit float16.
  public struct ConstantChange: Sendable, Codable, Equatable {
    public var name: String
    /// Values above 65504 in magnitude, clipped to ±65504.
    public var clipped: Int
    /// The largest magnitude among the clipped values (0 when none was clipped).
    public var largestMagnitude: Float
    /// Nonzero values below float16's smallest subnormal (2⁻²⁴) in magnitude, flushed to 0.
    public var flushed: Int

    public init(name: String, clipped: Int, largestMagnitude: Float, flushed: Int) {
      self.name = name
      self.clipped = clipped
      self.largestMagnitude = largestMagnitude
      self.flushed = flushed
    }
  }

  /// A node that stays float32, and why.
  public struct KeptNode: Sendable, Codable, Equatable {
    public var name: String
    public var opType: String
    public var reason: String
  }

  /// Nodes that compute in float16.
  public var convertedNodes = 0
  public var keptNodes: [KeptNode] = []
  /// Cast nodes inserted.
  public var casts = 0
  /// Constants converted to float16.
  public var convertedConstants = 0
  /// Constants with clipped or flushed values.
  public var changedConstants: [ConstantChange] = []
  /// Bytes of the main graph's initializers before and after.
  public var weightBytesBefore: Int64 = 0
  public var weightBytesAfter: Int64 = 0

  /// The number of clipped values over all constants.
  public var clippedValues: Int { changedConstants.reduce(0) { $0 + $1.clipped } }
  /// The number of flushed values over all constants.
  public var flushedValues: Int { changedConstants.reduce(0) { $0 + $1.flushed } }
}
