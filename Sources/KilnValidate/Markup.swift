// Text placed into the XML and HTML reports.

/// Escaping for text and attribute values of XML and HTML.
enum Markup {
  /// `text` with the characters XML and HTML reserve escaped (`& < > " '`).
  static func escaped(_ text: String) -> String {
    var result = ""
    for character in text {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.append(character)
      }
    }
    return result
  }
}
