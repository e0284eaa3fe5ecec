// Typed reads of a cfg section's options; a value of the wrong kind names its line.

import KilnIR

extension DarknetSection {
  /// The integer option `key`, or `defaultValue` when the section does not set it.
  public func int(_ key: String, default defaultValue: Int) throws -> Int {
    guard let option = option(key) else { return defaultValue }
    return try Self.integer(option.value, of: option)
  }

  /// The number option `key`, or `defaultValue` when the section does not set it.
  public func float(_ key: String, default defaultValue: Float) throws -> Float {
    guard let option = option(key) else { return defaultValue }
    guard let value = Float(option.value), value.isFinite else { throw Self.wrongKind(option, "a number") }
    return value
  }

  /// The comma-separated integers of option `key`, or nil when the section does not set it.
  public func ints(_ key: String) throws -> [Int]? {
    guard let option = option(key) else { return nil }
    return try Self.items(of: option).map { try Self.integer($0, of: option) }
  }

  /// The comma-separated numbers of option `key`, or nil when the section does not set it.
  public func floats(_ key: String) throws -> [Float]? {
    guard let option = option(key) else { return nil }
    return try Self.items(of: option).map {
      guard let value = Float($0), value.isFinite else { throw Self.wrongKind(option, "a list of numbers") }
      return value
    }
  }

  /// The text of option `key`, or `defaultValue` when the section does not set it.
  public func string(_ key: String, default defaultValue: String) -> String {
    option(key)?.value ?? defaultValue
  }

  private static func items(of option: DarknetOption) -> [String] {
    option.value.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingWhitespace()) }
  }

  private static func integer(_ text: String, of option: DarknetOption) throws -> Int {
    guard let value = Int(text) else { throw wrongKind(option, "an integer") }
    return value
  }

  private static func wrongKind(_ option: DarknetOption, _ kind: String) -> KilnError {
    KilnError.badInput("line \(option.line): \(option.key)=\(option.value) is not \(kind)")
  }
}
