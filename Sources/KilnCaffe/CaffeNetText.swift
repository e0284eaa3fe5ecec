// Parsing a .prototxt (protobuf text format) into a NetParameter, with the line of an error.

import CaffeProto
import Foundation
import KilnIR
import SwiftProtobuf

/// Reads Caffe network descriptions in protobuf text format.
enum CaffeNetText {
  /// Parses `text`; a syntax error or an unknown field is `.badInput` naming the line.
  static func parse(_ text: String) throws -> Caffe_NetParameter {
    do {
      return try Caffe_NetParameter(textFormatString: text)
    } catch {
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      guard let line = firstBadLine(lines) else {
        throw KilnError.badInput("not a Caffe network description (protobuf text format): \(error)")
      }
      throw KilnError.badInput(
        "prototxt error at line \(line + 1): \(error) in `\(lines[line].trimmingCharacters(in: .whitespaces))`",
        hint: "check the field name and syntax against caffe.proto")
    }
  }

  /// The first line whose prefix of the text, with its open messages closed, does not parse:
  /// parsing prefixes that end at line ends is valid until the bad line, and fails from there
  /// on, so a binary search finds it.
  private static func firstBadLine(_ lines: [Substring]) -> Int? {
    var closers: [Character] = []
    let closing = lines.map { line -> String in
      track(line, &closers)
      return String(closers.reversed())
    }
    var (low, high) = (0, lines.count)
    while low < high {
      let mid = (low + high) / 2
      let prefix = lines[...mid].joined(separator: "\n") + "\n" + closing[mid]
      if (try? Caffe_NetParameter(textFormatString: prefix)) == nil { high = mid } else { low = mid + 1 }
    }
    return low < lines.count ? low : nil
  }

  /// Updates the stack of closing brackets that the messages open after `line` need, skipping
  /// quoted strings and `#` comments.
  private static func track(_ line: Substring, _ closers: inout [Character]) {
    var quote: Character?
    var escaped = false
    for character in line {
      if let open = quote {
        if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == open { quote = nil }
        continue
      }
      switch character {
      case "\"", "'": quote = character
      case "#": return
      case "{": closers.append("}")
      case "<": closers.append(">")
      case "}", ">": if !closers.isEmpty { closers.removeLast() }
      default: break
      }
    }
  }
}
