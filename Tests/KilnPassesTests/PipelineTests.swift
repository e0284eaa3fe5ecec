// Pipeline text: passes, options, comments, the fixed-point directive, and errors with line numbers.

import Foundation
import KilnIR
import KilnPasses
import Testing

@Suite("Pipeline parsing")
struct PipelineTests {
  @Test("passes, options of every kind, comments and blank lines")
  func parses() throws {
    let pipeline = try Pipeline.parse(
      """
      # cleanup
      fixed-point max-iterations=4

      eliminate-identity   # trailing comment
      options-probe count=7 limit=64KiB strict=true mode=slow epsilon=0.5
      \teliminate-dead-code
      """, source: "test.pipeline", registry: testRegistry)
    #expect(pipeline.passNames == ["eliminate-identity", "options-probe", "eliminate-dead-code"])
    #expect(pipeline.steps.map(\.line) == [4, 5, 6])
    #expect(pipeline.fixedPointLimit == 4)
    let probe = try #require(pipeline.steps[1].pass as? OptionsProbe)
    #expect(probe.count == 7 && probe.limit == 65536 && probe.strict && probe.mode == "slow" && probe.epsilon == 0.5)
  }

  @Test("options not given take their defaults")
  func defaults() throws {
    let probe = try #require(try testRegistry.makePass("options-probe") as? OptionsProbe)
    #expect(probe.count == 3 && probe.limit == 1 << 20 && !probe.strict && probe.mode == "fast")
  }

  @Test(
    "mistakes are usage errors naming the file and line",
    arguments: [
      ("eliminate-identity\n\nfold-everything\n", "line 3: unknown pass 'fold-everything'"),
      ("# x\neliminate-identity speed=3\n", "line 2: pass 'eliminate-identity' has no option 'speed'"),
      ("options-probe count=many\n", "line 1: option 'count' of pass 'options-probe' must be a whole number"),
      ("options-probe limit=-1\n", "line 1: option 'limit'"),
      ("options-probe strict=maybe\n", "line 1: option 'strict'"),
      ("\n\n\n\noptions-probe count\n", "line 5: expected an option as key=value"),
      ("fixed-point max-iterations=0\n", "line 1: option 'max-iterations' of fixed-point"),
    ])
  func errors(text: String, message: String) throws {
    do {
      _ = try Pipeline.parse(text, source: "bad.pipeline", registry: testRegistry)
      Issue.record("no error for \(text)")
    } catch let error as KilnError {
      #expect(error.kind == .usage)
      #expect(error.exitCode == 2)
      #expect(error.file == "bad.pipeline")
      #expect(error.message.hasPrefix(message), "\(error)")
    }
  }

  @Test("--passes lists, and their mistakes")
  func list() throws {
    #expect(try Pipeline.list("eliminate-identity, eliminate-dead-code").passNames == ["eliminate-identity", "eliminate-dead-code"])
    #expect(throws: KilnError.self) { try Pipeline.list("eliminate-identity,nope") }
    #expect(throws: KilnError.self) { try Pipeline.list("eliminate-identity,,") }
  }

  @Test("the repository's pipelines load by name, and every pass in them exists")
  func repositoryPipelines() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("passes").path
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".pipeline") }
    #expect(files.contains("default.pipeline") && files.contains("none.pipeline"))
    for file in files {
      _ = try Pipeline.load(String(file.dropLast(".pipeline".count)), searching: [folder])
    }
    #expect(try Pipeline.load("none", searching: [folder]).steps.isEmpty)
    #expect(try Pipeline.load("default", searching: [folder]).fixedPointLimit != nil)
    #expect(throws: KilnError.self) { try Pipeline.load("nonsense", searching: [folder]) }
  }
}
