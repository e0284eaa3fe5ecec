// The JSON encoding of Kiln's reports: stable across runs and versions of the encoder.

import Foundation

extension JSONEncoder {
  /// `value` as pretty-printed JSON with sorted keys and a final newline; infinities and NaN
  /// as the strings "Infinity", "-Infinity" and "NaN".
  public static func stableReport<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return try encoder.encode(value) + Data("\n".utf8)
  }
}
