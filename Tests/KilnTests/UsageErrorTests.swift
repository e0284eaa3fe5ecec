// Command-line mistakes: exit 2 with a message, and nothing written.

import Foundation
import KilnTestSupport
import Testing

@Suite("Usage errors")
struct UsageErrorTests {
  /// Runs `arguments` (with `MODEL` and `OUT` replaced) beside a valid model and expects exit 2,
  /// a message on standard error, and no output file.
  func expectUsageError(_ arguments: [String], mentioning text: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let out = folder.file("out.onnx")
      let run = try kiln(arguments.map { $0 == "MODEL" ? model : $0 == "OUT" ? out : $0 })
      #expect(run.status == 2, "\(run)", sourceLocation: sourceLocation)
      #expect(!run.stderr.isEmpty, "\(run)", sourceLocation: sourceLocation)
      if let text {
        #expect(run.stderr.contains(text), "\(run)", sourceLocation: sourceLocation)
      }
      #expect(!FileManager.default.fileExists(atPath: out), sourceLocation: sourceLocation)
      #expect(try folder.contents() == ["m.onnx"], sourceLocation: sourceLocation)
    }
  }

  @Test("convert without -o") func missingOutput() throws {
    try expectUsageError(["convert", "MODEL"], mentioning: "--output")
  }

  @Test("convert with an unknown option") func unknownOption() throws {
    try expectUsageError(["convert", "MODEL", "-o", "OUT", "--frobnicate"], mentioning: "--frobnicate")
  }

  @Test("convert with an unknown pipeline") func unknownPipeline() throws {
    try expectUsageError(["convert", "MODEL", "-o", "OUT", "--pipeline", "nonsense"], mentioning: "nonsense")
  }

  @Test("convert with --external-data and --no-external-data") func conflictingFlags() throws {
    try expectUsageError(["convert", "MODEL", "-o", "OUT", "--external-data", "--no-external-data"])
  }

  @Test("convert with a bad --size-threshold", arguments: ["-5", "abc", "1.5"])
  func badThreshold(value: String) throws {
    try expectUsageError(["convert", "MODEL", "-o", "OUT", "--size-threshold", value])
  }

  @Test("convert with --external-data-name that is a path") func externalNameWithFolder() throws {
    try expectUsageError(["convert", "MODEL", "-o", "OUT", "--external-data", "--external-data-name", "../w.bin"])
  }

  @Test("inspect without a model") func inspectWithoutModel() throws {
    try expectUsageError(["inspect"])
  }

  @Test("inspect with an unknown option") func inspectUnknownOption() throws {
    try expectUsageError(["inspect", "MODEL", "--yaml"], mentioning: "--yaml")
  }

  @Test("an unknown command") func unknownCommand() throws {
    try expectUsageError(["frobnicate", "MODEL"], mentioning: "frobnicate")
  }

  @Test("extra arguments") func extraArguments() throws {
    try expectUsageError(["inspect", "MODEL", "MODEL"])
  }
}
