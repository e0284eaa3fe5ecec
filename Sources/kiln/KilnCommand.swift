// The `kiln` command: its subcommands and how errors become exit codes.

import ArgumentParser
import Foundation
import KilnIR

/// The root command.
@main
struct KilnCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kiln",
    abstract: "Convert, optimize, quantize and validate neural network models.",
    discussion: """
      Kiln reads ONNX models into one IR, runs pipelines of passes over it and writes optimized \
      ONNX. Exit codes: 0 success, 1 validation failed, 2 bad input or usage, 3 internal error.
      """,
    version: "0.1.0",
    subcommands: [
      InspectCommand.self, ConvertCommand.self, RunCommand.self, PassesCommand.self, TargetsCommand.self, CalibrateCommand.self,
      QuantizeCommand.self, ValidateCommand.self,
    ]
  )

  /// Parses the command line and runs it, turning every failure into a message and an exit code.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let error as KilnError {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      Foundation.exit(error.exitCode)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        exit(withError: error)
      }
      FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
      // Usage errors are exit 2, as documented; anything unexpected is Kiln's fault (3).
      Foundation.exit(code == .validationFailure ? 2 : 3)
    }
  }
}
