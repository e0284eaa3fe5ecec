// Typed pass options: what a pass declares, and the checked values it is built from.

import KilnIR

/// The type of a pass option's value.
public enum PassOptionKind: String, Sendable {
  /// A whole number (`max-iterations=8`).
  case int
  /// A size in bytes, with an optional unit: `4096`, `64KiB`, `1MiB`, `2GB`.
  case bytes
  /// `true`/`false` (also `yes`/`no`, `1`/`0`).
  case bool
  /// Free text.
  case string
  /// A floating-point number (`epsilon=1e-5`).
  case float
}

/// A parsed option value.
public enum PassOptionValue: Sendable, Hashable, CustomStringConvertible {
  case int(Int64)
  case bytes(Int64)
  case bool(Bool)
  case string(String)
  case float(Double)

  public var description: String {
    switch self {
    case .int(let value), .bytes(let value): String(value)
    case .bool(let value): String(value)
    case .string(let value): value
    case .float(let value): String(value)
    }
  }
}

/// One option a pass accepts: its name, type, default and a line of help.
public struct PassOption: Sendable {
  public var name: String
  public var kind: PassOptionKind
  public var defaultValue: PassOptionValue
  public var help: String

  public init(name: String, kind: PassOptionKind, defaultValue: PassOptionValue, help: String) {
    self.name = name
    self.kind = kind
    self.defaultValue = defaultValue
    self.help = help
  }

  public static func int(_ name: String, default value: Int64, help: String) -> PassOption {
    PassOption(name: name, kind: .int, defaultValue: .int(value), help: help)
  }

  public static func bytes(_ name: String, default value: Int64, help: String) -> PassOption {
    PassOption(name: name, kind: .bytes, defaultValue: .bytes(value), help: help)
  }

  public static func bool(_ name: String, default value: Bool, help: String) -> PassOption {
    PassOption(name: name, kind: .bool, defaultValue: .bool(value), help: help)
  }

  public static func string(_ name: String, default value: String, help: String) -> PassOption {
    PassOption(name: name, kind: .string, defaultValue: .string(value), help: help)
  }

  public static func float(_ name: String, default value: Double, help: String) -> PassOption {
    PassOption(name: name, kind: .float, defaultValue: .float(value), help: help)
  }

  /// Parses `text` as a value of this option's kind; nil when it is not one.
  public func parse(_ text: String) -> PassOptionValue? {
    switch kind {
    case .int: Int64(text).map(PassOptionValue.int)
    case .bytes: Self.parseBytes(text).map(PassOptionValue.bytes)
    case .bool:
      switch text.lowercased() {
      case "true", "yes", "1": .bool(true)
      case "false", "no", "0": .bool(false)
      default: nil
      }
    case .string: .string(text)
    case .float: Double(text).flatMap { $0.isFinite ? PassOptionValue.float($0) : nil }
    }
  }

  /// `4096`, `64KiB`, `1MiB`, `1MB`, `2GiB`, `1K`: a non-negative byte count.
  static func parseBytes(_ text: String) -> Int64? {
    let units: [(String, Int64)] = [
      ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
      ("GB", 1_000_000_000), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1),
    ]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
      guard let number = Int64(text.dropLast(suffix.count)), number >= 0 else { return nil }
      let (product, overflow) = number.multipliedReportingOverflow(by: scale)
      return overflow ? nil : product
    }
    guard let number = Int64(text), number >= 0 else { return nil }
    return number
  }
}

/// The option values a pass is built from: every declared option, given or defaulted.
///
/// Built by `PassOptions.parse(_:for:)`, which refuses unknown names and malformed values; a
/// pass reads its values with the typed accessors.
public struct PassOptions: Sendable {
  private var values: [String: PassOptionValue]

  /// The defaults of `declared`.
  public init(defaultsOf declared: [PassOption]) {
    values = Dictionary(declared.map { ($0.name, $0.defaultValue) }, uniquingKeysWith: { a, _ in a })
  }

  /// Checks `given` (name → text) against `declared` and returns every value; throws a usage
  /// `KilnError` naming the option for an unknown name or a value of the wrong kind.
  public static func parse(_ given: [(name: String, value: String)], for declared: [PassOption], pass: String)
    throws -> PassOptions
  {
    var options = PassOptions(defaultsOf: declared)
    for (name, text) in given {
      guard let option = declared.first(where: { $0.name == name }) else {
        let known = declared.map(\.name)
        throw KilnError(
          .usage, "pass '\(pass)' has no option '\(name)'",
          hint: known.isEmpty ? "it takes no options" : "its options: \(known.joined(separator: ", "))")
      }
      guard let value = option.parse(text) else {
        throw KilnError(
          .usage, "option '\(name)' of pass '\(pass)' must be \(option.kind.expectation), not '\(text)'")
      }
      options.values[name] = value
    }
    return options
  }

  /// The value of `name`, which the pass must have declared.
  public subscript(name: String) -> PassOptionValue? { values[name] }

  public func int(_ name: String) throws -> Int64 {
    if case .int(let value)? = values[name] { return value }
    throw undeclared(name, .int)
  }

  public func bytes(_ name: String) throws -> Int64 {
    if case .bytes(let value)? = values[name] { return value }
    throw undeclared(name, .bytes)
  }

  public func bool(_ name: String) throws -> Bool {
    if case .bool(let value)? = values[name] { return value }
    throw undeclared(name, .bool)
  }

  public func string(_ name: String) throws -> String {
    if case .string(let value)? = values[name] { return value }
    throw undeclared(name, .string)
  }

  public func float(_ name: String) throws -> Double {
    if case .float(let value)? = values[name] { return value }
    throw undeclared(name, .float)
  }

  private func undeclared(_ name: String, _ kind: PassOptionKind) -> KilnError {
    .internalError("a pass reads option '\(name)' as \(kind.rawValue) but declares no such option")
  }
}

extension PassOptionKind {
  /// How a value of this kind is described in an error.
  var expectation: String {
    switch self {
    case .int: "a whole number"
    case .bytes: "a byte count such as 4096, 64KiB or 1MiB"
    case .bool: "true or false"
    case .string: "text"
    case .float: "a finite number"
    }
  }
}
