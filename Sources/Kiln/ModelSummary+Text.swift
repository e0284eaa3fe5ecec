// The human-readable form of a model summary.

import Foundation

extension ModelSummary {
  /// A multi-line report for a terminal.
  public var text: String {
    var lines: [String] = []
    lines.append("model      \(file) (\(Self.bytes(fileBytes)))")
    let producer = [producerName, producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
    lines.append("producer   \(producer.isEmpty ? "-" : producer)")
    lines.append("ir version \(irVersion)")
    lines.append("opsets     " + opsets.map { "\($0.domain) \($0.version)" }.joined(separator: ", "))
    lines.append("inputs")
    lines += inputs.map { "  \($0.name): \($0.type)" }
    lines.append("outputs")
    lines += outputs.map { "  \($0.name): \($0.type)" }
    lines.append("nodes      \(nodeCount)")
    lines += ops.map { "  " + $0.op.padding(toLength: max(24, $0.op.count), withPad: " ", startingAt: 0) + " \($0.count)" }
    lines.append(
      "parameters \(parameterCount) in \(initializerCount) initializers (\(Self.bytes(parameterBytes)))")
    if !externalDataFiles.isEmpty {
      lines.append("external   " + externalDataFiles.joined(separator: ", "))
    }
    for key in metadata.keys.sorted() { lines.append("metadata   \(key) = \(metadata[key] ?? "")") }
    return lines.joined(separator: "\n")
  }

  /// Bytes in binary units with one decimal.
  public static func bytes(_ count: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
  }
}
