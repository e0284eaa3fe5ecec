// Text placed into XML and HTML: reports, OpenVINO IR.

/// Escaping for text and attribute values of XML and HTML.
public enum Markup {
  /// `text` with the characters XML and HTML reserve escaped (`& < > " '`).
  public static func escaped(_ text: String) -> String {
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
