// Progress of a long run on standard error: a bar with a rate on a terminal, plain lines else.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Shows how many of a run's items are done. On a terminal: one line redrawn in place, with a
/// bar and items per second; otherwise (a log, a pipe) a plain line at every tenth and at the end.
final class ProgressDisplay {
  private let label: String
  private let unit: String
  private let terminal = isatty(STDERR_FILENO) != 0
  private let start = ContinuousClock.now
  private var lastTenth = -1

  init(label: String, unit: String) {
    self.label = label
    self.unit = unit
  }

  func update(completed: Int, total: Int) {
    let rate = Double(completed) / max(seconds(ContinuousClock.now - start), 1e-9)
    let counts = "\(completed)/\(total) \(unit)  \(String(format: "%.1f", rate)) \(unit)/s"
    if terminal {
      let width = 30
      let filled = total > 0 ? width * completed / total : width
      let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
      write("\r\(label) [\(bar)] \(counts)")
    } else {
      let tenth = total > 0 ? 10 * completed / total : 10
      guard tenth > lastTenth || completed == total else { return }
      lastTenth = tenth
      write("\(label): \(counts)\n")
    }
  }

  /// Ends the redrawn line on a terminal.
  func finish() {
    if terminal { write("\n") }
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }

  private func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
  }
}
