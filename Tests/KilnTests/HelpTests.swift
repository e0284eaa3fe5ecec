// `--help` for the tool and each command: exit 0, and every option is documented.

import Foundation
import Testing

@Suite("Help")
struct HelpTests {
  @Test("kiln --help lists the commands")
  func rootHelp() throws {
    let run = try kiln("--help")
    #expect(run.status == 0, "\(run)")
    for word in ["inspect", "convert", "USAGE"] {
      #expect(run.stdout.contains(word), "'\(word)' missing from: \(run.stdout)")
    }
  }

  @Test("kiln inspect --help documents its options")
  func inspectHelp() throws {
    let run = try kiln("inspect", "--help")
    #expect(run.status == 0, "\(run)")
    for word in ["--json", "<model>", "--help"] {
      #expect(run.stdout.contains(word), "'\(word)' missing from: \(run.stdout)")
    }
  }

  @Test("kiln convert --help documents every option")
  func convertHelp() throws {
    let run = try kiln("convert", "--help")
    #expect(run.status == 0, "\(run)")
    for word in [
      "<model>", "-o", "--output", "--pipeline", "--external-data", "--no-external-data",
      "--external-data-name", "--size-threshold", "--in-place", "-q", "--quiet", "none",
    ] {
      #expect(run.stdout.contains(word), "'\(word)' missing from: \(run.stdout)")
    }
  }

  @Test("kiln help convert and kiln --version work")
  func helpCommandAndVersion() throws {
    let help = try kiln("help", "convert")
    #expect(help.status == 0, "\(help)")
    #expect(help.stdout.contains("--in-place"))
    let version = try kiln("--version")
    #expect(version.status == 0, "\(version)")
    #expect(!version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
  }
}
