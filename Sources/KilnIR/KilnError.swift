// The one error type that every Kiln module throws at a boundary that reads input.

/// A failure that Kiln reports to its user: what went wrong, where (file, node, op), and what to do.
///
/// The `kind` decides the process exit code: bad input and usage give 2, a failed validation
/// gives 1, and anything that is Kiln's own fault gives 3.
public struct KilnError: Error, CustomStringConvertible, Sendable, Equatable {
  /// What class of failure this is; decides the exit code.
  public enum Kind: Sendable, Equatable {
    /// The input (a model file, a data file, an option value) cannot be used.
    case badInput
    /// The command line is wrong.
    case usage
    /// An accuracy threshold was not met.
    case validationFailed
    /// A bug or an environment failure inside Kiln.
    case internalError
  }

  public var kind: Kind
  public var message: String
  /// The file the problem is in, when there is one.
  public var file: String?
  /// The node name, when the problem is in one node.
  public var node: String?
  /// The node's op type, when known.
  public var op: String?
  /// What the user can do about it.
  public var hint: String?

  public init(
    _ kind: Kind, _ message: String, file: String? = nil, node: String? = nil, op: String? = nil,
    hint: String? = nil
  ) {
    self.kind = kind
    self.message = message
    self.file = file
    self.node = node
    self.op = op
    self.hint = hint
  }

  /// Shorthand for an unusable input.
  public static func badInput(
    _ message: String, file: String? = nil, node: String? = nil, op: String? = nil,
    hint: String? = nil
  ) -> KilnError {
    KilnError(.badInput, message, file: file, node: node, op: op, hint: hint)
  }

  /// Shorthand for a failure that is Kiln's own.
  public static func internalError(_ message: String, file: String? = nil) -> KilnError {
    KilnError(.internalError, message, file: file)
  }

  /// The process exit code for this error: 1 validation, 2 bad input or usage, 3 internal.
  public var exitCode: Int32 {
    switch kind {
    case .validationFailed: 1
    case .badInput, .usage: 2
    case .internalError: 3
    }
  }

  /// Returns a copy that names `file`, unless a file is already named.
  public func inFile(_ path: String) -> KilnError {
    var copy = self
    if copy.file == nil { copy.file = path }
    return copy
  }

  /// "node 'name' (Op): ", "Op: " or "", the way every Kiln message names where it is.
  public static func locationPrefix(node: String?, op: String?) -> String {
    if let node { return "node '\(node)'" + (op.map { " (\($0))" } ?? "") + ": " }
    return op.map { "\($0): " } ?? ""
  }

  public var description: String {
    var text = ""
    if let file { text += "\(file): " }
    text += Self.locationPrefix(node: node, op: op)
    text += message
    if let hint { text += " (\(hint))" }
    return text
  }
}
