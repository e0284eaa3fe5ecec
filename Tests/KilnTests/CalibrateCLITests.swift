// `kiln calibrate` and `kiln calibrate merge`: shards merged equal one run; refusals.

import Foundation
import KilnQuant
import KilnTestSupport
import Testing

@Suite struct CalibrateCLITests {
  @Test func shardsMergedByTheCLIEqualOneRun() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("small.onnx"))
      let common = [model, "--random", "6", "--shape", "X=2x3", "-q"]
      let whole = try kiln(["calibrate"] + common + ["-o", folder.file("all.json")])
      #expect(whole.status == 0, "\(whole)")
      var shards: [String] = []
      for index in 0..<2 {
        let path = folder.file("part\(index).json")
        let run = try kiln(["calibrate", "run"] + common + ["--shard", "\(index)/2", "--threads", "2", "-o", path])
        #expect(run.status == 0, "\(run)")
        shards.append(path)
      }
      let merge = try kiln(["calibrate", "merge"] + shards + ["-o", folder.file("merged.json")])
      #expect(merge.status == 0, "\(merge)")
      #expect(merge.stdout.contains("1 tensors over 6 samples"))
      #expect(try fileBytes(folder.file("merged.json")) == fileBytes(folder.file("all.json")))
      #expect(try CalibrationStatistics.read(path: folder.file("all.json")).tensors.keys.sorted() == ["X"], "only the MatMul input")
    }
  }

  @Test func progressGoesToStandardErrorAsPlainLines() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("small.onnx"))
      let run = try kiln("calibrate", model, "--random", "3", "--shape", "X=1x3", "-o", folder.file("s.json"))
      #expect(run.status == 0, "\(run)")
      #expect(run.errorLines.last?.hasPrefix("calibrate: 3/3 samples") == true, "\(run)")
      #expect(run.stdout.contains("1 tensors over 3 samples"))
    }
  }

  @Test func badInputsAreRefusedByName() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("small.onnx"))
      expectCleanFailure(
        try kiln("calibrate", model, "--random", "2", "-o", folder.file("s.json")), naming: ["small.onnx", "'X'", "--shape"])
      let notStatistics = folder.file("notes.json")
      try Data("{}".utf8).write(to: URL(fileURLWithPath: notStatistics))
      expectCleanFailure(
        try kiln("calibrate", "merge", notStatistics, "-o", folder.file("m.json")), naming: ["notes.json"])
      expectCleanFailure(
        try kiln("calibrate", model, "--random", "2", "--shape", "X=1x3", "--shard", "2/2", "-o", folder.file("s.json")),
        naming: ["2/2"])
      #expect(!FileManager.default.fileExists(atPath: folder.file("m.json")))
    }
  }
}
