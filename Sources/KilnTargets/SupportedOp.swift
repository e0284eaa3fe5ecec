// One op a target takes and the conditions on its attributes, inputs and shapes.

import KilnIR

/// An op a deployment target takes, with the conditions under which it takes it.
public struct SupportedOp: Sendable {
  /// The ONNX op type.
  public var op: String
  /// The op's domain; "" is the default ONNX domain.
  public var domain: String
  /// The conditions in words, for `kiln targets` (e.g. "2-D kernels only").
  public var constraints: [String]
  /// Why the target cannot take this node, or nil when it can.
  public var check: @Sendable (Node) -> String?

  public init(
    _ op: String, domain: String = "", constraints: [String] = [],
    check: @escaping @Sendable (Node) -> String? = { _ in nil }
  ) {
    self.op = op
    self.domain = domain
    self.constraints = constraints
    self.check = check
  }
}
