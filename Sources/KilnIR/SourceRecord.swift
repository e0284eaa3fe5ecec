// An opaque note from a frontend about how an entity was stored in its source file.

/// What a frontend remembers about how an entity was written in the source file (for ONNX:
/// the original protobuf message with its unknown fields and field presence), so that its
/// writer can reproduce unchanged entities exactly. The IR never looks inside, and a record
/// never takes part in IR equality: the IR fields are the truth, the record only fills in
/// what the IR does not model.
public struct SourceRecord: @unchecked Sendable {
  /// The format-specific payload; only the frontend that made it knows its type.
  public let payload: Any

  public init(_ payload: Any) { self.payload = payload }
}
