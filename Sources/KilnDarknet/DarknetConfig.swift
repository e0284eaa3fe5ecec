// The Darknet .cfg file: INI-like [section] headers followed by key=value options.

import KilnIR

/// One `key=value` line of a Darknet cfg, with the line it came from.
public struct DarknetOption: Sendable, Equatable {
  public var key: String
  public var value: String
  public var line: Int

  public init(key: String, value: String, line: Int) {
    self.key = key
    self.value = value
    self.line = line
  }
}

/// One `[type]` section of a Darknet cfg and its options, in file order.
public struct DarknetSection: Sendable, Equatable {
  /// The name between the brackets, lowercased: `net`, `convolutional`, `yolo`, ...
  public var type: String
  /// The line of the `[type]` header (1-based).
  public var line: Int
  public var options: [DarknetOption]

  public init(type: String, line: Int, options: [DarknetOption] = []) {
    self.type = type
    self.line = line
    self.options = options
  }

  /// The option named `key`, if the section has it.
  public func option(_ key: String) -> DarknetOption? { options.first { $0.key == key } }
}

/// A parsed Darknet cfg: the `[net]` section (input size) and the layers in order.
///
/// The syntax is the one darknet's own reader accepts: blank lines and lines starting with `#`
/// or `;` are comments, whitespace around names and values is ignored, and anything from a `#`
/// or `;` inside an option line is a trailing comment. Every problem names its line.
public struct DarknetConfig: Sendable, Equatable {
  /// The `[net]` (or `[network]`) section.
  public var net: DarknetSection
  /// Every section after `[net]`; a layer's index in this list is its darknet layer index.
  public var layers: [DarknetSection]

  public init(net: DarknetSection, layers: [DarknetSection]) {
    self.net = net
    self.layers = layers
  }

  /// Parses cfg text.
  public static func parse(_ text: String) throws -> DarknetConfig {
    var sections: [DarknetSection] = []
    for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let number = index + 1
      let line = rawLine.trimmingWhitespace()
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("[") {
        sections.append(try header(line, number))
        continue
      }
      guard !sections.isEmpty else {
        throw KilnError.badInput("line \(number): '\(line)' comes before the first [section]")
      }
      let option = try option(line, number)
      if let earlier = sections[sections.count - 1].option(option.key) {
        throw KilnError.badInput(
          "line \(number): option '\(option.key)' is given twice in one section (first on line \(earlier.line))")
      }
      sections[sections.count - 1].options.append(option)
    }
    guard let first = sections.first, first.type == "net" || first.type == "network" else {
      throw KilnError.badInput(
        "a Darknet cfg starts with a [net] section" + (sections.first.map { ", this one with [\($0.type)] on line \($0.line)" } ?? ""))
    }
    return DarknetConfig(net: first, layers: Array(sections.dropFirst()))
  }

  private static func header(_ line: Substring, _ number: Int) throws -> DarknetSection {
    guard line.hasSuffix("]"), line.count > 2 else {
      throw KilnError.badInput("line \(number): section header '\(line)' must look like [name]")
    }
    let name = line.dropFirst().dropLast().trimmingWhitespace()
    guard !name.isEmpty, !name.contains(where: { $0 == "[" || $0 == "]" || $0 == "=" }) else {
      throw KilnError.badInput("line \(number): section header '\(line)' must look like [name]")
    }
    return DarknetSection(type: name.lowercased(), line: number)
  }

  private static func option(_ line: Substring, _ number: Int) throws -> DarknetOption {
    let content = line.prefix { $0 != "#" && $0 != ";" }
    guard let equals = content.firstIndex(of: "=") else {
      throw KilnError.badInput("line \(number): expected key=value or [section], found '\(line)'")
    }
    let key = content[..<equals].trimmingWhitespace()
    let value = content[content.index(after: equals)...].trimmingWhitespace()
    guard !key.isEmpty else { throw KilnError.badInput("line \(number): option '\(line)' has no name") }
    guard !value.isEmpty else { throw KilnError.badInput("line \(number): option '\(key)' has no value") }
    return DarknetOption(key: String(key), value: String(value), line: number)
  }
}

extension Substring {
  /// The text without leading and trailing whitespace (carriage returns included).
  func trimmingWhitespace() -> Substring {
    let start = firstIndex { !$0.isWhitespace } ?? endIndex
    let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
    return self[start..<end]
  }
}
