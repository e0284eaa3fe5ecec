// `--help` for the tool and each command: exit 0, and every option is documented.

import Foundation
import Testing

@Suite("Help")
struct HelpTests {
  /// Runs `kiln` with `arguments` and expects exit 0 and every one of `words` on standard output.
  func expectHelp(
    _ arguments: String..., listing words: [String], sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let run = try kiln(arguments)
    #expect(run.status == 0, "\(run)", sourceLocation: sourceLocation)
    for word in words {
      #expect(run.stdout.contains(word), "'\(word)' missing from: \(run.stdout)", sourceLocation: sourceLocation)
    }
  }

  @Test("kiln --help lists the commands")
  func rootHelp() throws {
    try expectHelp("--help", listing: ["inspect", "convert", "USAGE"])
  }

  @Test("kiln inspect --help documents its options")
  func inspectHelp() throws {
    try expectHelp("inspect", "--help", listing: ["--json", "<model>", "--help"])
  }

  @Test("kiln convert --help documents every option")
  func convertHelp() throws {
    try expectHelp(
      "convert", "--help",
      listing: [
        "<model>", "-o", "--output", "--pipeline", "--external-data", "--no-external-data",
        "--external-data-name", "--size-threshold", "--in-place", "-q", "--quiet", "none",
        "--verify", "--verify-each", "--input-shape", "--input", "--seed", "--atol", "--rtol", "--json",
      ])
  }

  @Test("kiln help convert and kiln --version work")
  func helpCommandAndVersion() throws {
    try expectHelp("help", "convert", listing: ["--in-place"])
    let version = try kiln("--version")
    #expect(version.status == 0, "\(version)")
    #expect(!version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
  }
}
