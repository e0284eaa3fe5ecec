// The bytes of a statistics file, written directly instead of through JSONEncoder.

import Foundation

/// Writes calibration statistics as a statistics file's canonical JSON: keys sorted, no
/// spaces, integers in decimal, floats in their shortest round-trip form without a trailing
/// ".0", strings escaped as JSONEncoder escapes them (slashes too). These are the bytes that
/// JSONEncoder with sorted keys gave, written many times faster: its boxing of every one of
/// the tens of thousands of bin counts in a CNN's statistics took longer than reading them.
/// A histogram keeps only its nonzero stretch of bins (`firstBin`, `counts`), so that the
/// empty half of a ReLU output costs nothing; min and max only when defined.
struct StatisticsJSONWriter {
  private(set) var bytes: [UInt8] = []

  mutating func write(_ statistics: CalibrationStatistics) {
    append("{\"bins\":")
    integer(statistics.binCount)
    append(",\"graph\":")
    string(statistics.graphName)
    append(",\"inputs\":[")
    for (index, name) in statistics.inputNames.enumerated() {
      if index > 0 { append(",") }
      string(name)
    }
    append("],\"method\":")
    string(statistics.method.text)
    append(",\"samples\":")
    integer(statistics.sampleCount)
    append(",\"schema\":")
    string(CalibrationStatistics.schema)
    append(",\"tensors\":{")
    for (index, (name, histogram)) in statistics.tensors.sorted(by: { $0.key < $1.key }).enumerated() {
      if index > 0 { append(",") }
      string(name)
      append(":")
      write(histogram)
    }
    append("},\"version\":")
    integer(CalibrationStatistics.version)
    append("}")
  }

  mutating func write(_ histogram: TensorHistogram) {
    let counts = histogram.counts
    let first = counts.firstIndex { $0 > 0 } ?? 0
    let end = max(first, (counts.lastIndex { $0 > 0 } ?? -1) + 1)
    append("{\"bins\":")
    integer(histogram.binCount)
    append(",\"count\":")
    integer(histogram.count)
    append(",\"counts\":[")
    for index in first..<end {
      if index > first { append(",") }
      integer(counts[index])
    }
    append("],\"firstBin\":")
    integer(first)
    append(",\"infinityCount\":")
    integer(histogram.infinityCount)
    if histogram.count > 0 {
      append(",\"max\":")
      float(histogram.maximum)
      append(",\"min\":")
      float(histogram.minimum)
    }
    append(",\"nanCount\":")
    integer(histogram.nanCount)
    append(",\"rangeExponent\":")
    integer(histogram.rangeExponent)
    append("}")
  }

  private mutating func append(_ text: StaticString) {
    text.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  private mutating func integer(_ value: some BinaryInteger) {
    bytes.append(contentsOf: String(value).utf8)
  }

  /// Shortest round-trip digits; "2" rather than "2.0", as JSONEncoder writes it.
  private mutating func float(_ value: Float) {
    var text = value.description
    if text.hasSuffix(".0") { text.removeLast(2) }
    bytes.append(contentsOf: text.utf8)
  }

  private mutating func string(_ text: String) {
    bytes.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
        bytes += [UInt8(ascii: "\\"), byte]
      case 0x08: append("\\b")
      case 0x09: append("\\t")
      case 0x0A: append("\\n")
      case 0x0C: append("\\f")
      case 0x0D: append("\\r")
      case ..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
      default:
        bytes.append(byte)
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }
}
