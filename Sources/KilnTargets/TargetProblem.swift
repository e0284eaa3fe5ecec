// Why a model cannot go to a target: one node (or the model) and the reason.

/// One reason a model cannot be written for a target.
public struct TargetProblem: Sendable, Equatable, Codable {
  /// The node's name; nil for a problem with the model as a whole.
  public var node: String?
  /// The node's op type (domain-qualified outside the default domain); nil with `node`.
  public var op: String?
  /// What is wrong and, where possible, what to do.
  public var reason: String

  public init(node: String? = nil, op: String? = nil, reason: String) {
    self.node = node
    self.op = op
    self.reason = reason
  }

  /// One line: `node (op): reason`, or the reason alone for the model.
  public var line: String {
    guard let node else { return reason }
    return "\(node) (\(op ?? "?")): \(reason)"
  }
}
