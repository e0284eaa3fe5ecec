// Running a vendor tool: finding it on PATH, its command as a shell line, its run with output kept.

import Foundation
import KilnIR

/// Finds and runs the vendor tools that finish a target's files (trtexec, rknn-toolkit2's
/// Python).
enum ToolkitProcess {
  /// The path of executable `name` on `$PATH`; nil when there is none.
  static func find(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
    for folder in (path ?? "").split(separator: ":") {
      let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name).path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// `arguments` as one shell line, each quoted where the shell would split or expand it.
  static func line(_ arguments: [String]) -> String {
    arguments.map { word in
      let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
      return plain ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }.joined(separator: " ")
  }

  /// Runs `executable` with `arguments` and returns its exit status and its standard output
  /// and error together. A tool that cannot be started is bad input naming it.
  static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do {
      try process.run()
    } catch {
      throw KilnError.badInput("cannot run \(executable): \(error.localizedDescription)")
    }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
  }

  /// The last `count` lines of a tool's output, for an error message.
  static func tail(_ output: String, lines count: Int = 15) -> String {
    output.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).map { "  | " + $0 }.joined(separator: "\n")
  }
}
