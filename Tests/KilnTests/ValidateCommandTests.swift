// `kiln validate` on the digits fixture: int8 passes the documented thresholds, a damaged
// model fails with exit 1, bad input exits 2, and the reports parse.

import DigitsTestSupport
import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

@Suite("kiln validate")
struct ValidateCommandTests {
  private let model = DigitsFixture.path("model.onnx")
  private let preprocess = ["--preprocess", DigitsFixture.path("preprocess.json")]
  /// The thresholds README.md documents for an int8 model of a classifier.
  private let documented = ["--max-top1-drop", "1", "--min-top1-agreement", "95", "--min-cosine", "0.99", "--min-snr-db", "20"]

  private func testImages(_ extra: [String] = []) -> [String] {
    ["--images", DigitsFixture.path("test"), "--labels", DigitsFixture.path("labels.txt")] + preprocess + extra
  }

  /// Quantizes the digits model to int8 into `folder`.
  private func int8Model(in folder: TemporaryFolder) throws -> String {
    let output = folder.file("int8.onnx")
    let run = try kiln(["quantize", model, "-o", output, "--int8", "--images", DigitsFixture.path("calibration")] + preprocess)
    try #require(run.status == 0, "\(run)")
    return output
  }

  @Test("float vs int8 passes the documented thresholds; the JSON and JUnit reports parse")
  func int8Passes() throws {
    try withTemporaryFolder { folder in
      let candidate = try int8Model(in: folder)
      let json = folder.file("report.json")
      let junit = folder.file("report.xml")
      let run = try kiln(["validate", model, candidate, "--json", json, "--junit", junit] + testImages(documented))
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.contains("PASS top1Drop of 'logits'"), "\(run)")
      let report = try #require(JSONSerialization.jsonObject(with: fileBytes(json)) as? [String: Any])
      #expect(report["schema"] as? String == "kiln-validation-report")
      #expect(report["samples"] as? Int == 300)
      #expect((report["checks"] as? [[String: Any]])?.count == 4)
      #expect(report["layers"] == nil, "no per-layer diagnosis when asked for none and every check passes")
      let parser = XMLParser(data: try fileBytes(junit))
      #expect(parser.parse())
    }
  }

  @Test("a Conv's weights scaled by 10 fail with exit 1, naming the metric, its value and the bound; that Conv ranks first")
  func damagedFails() throws {
    try withTemporaryFolder { folder in
      let damaged = try ONNXModelReader.read(path: model)
      let conv = try #require(damaged.graph.nodes.first { $0.opType == "Conv" })
      let weights = try #require(conv.inputs[1]?.constant)
      let scaled = try weights.withRawBytes { Array($0.bindMemory(to: Float.self)).map { $0 * 10 } }
      conv.inputs[1]?.constant = Tensor(name: weights.name, dataType: .float, dims: weights.dims, bytes: littleEndianBytes(scaled))
      let candidate = folder.file("damaged.onnx")
      try ONNXModelWriter.write(damaged, to: candidate)
      let junit = folder.file("report.xml")
      let json = folder.file("report.json")
      let run = try kiln(["validate", model, candidate, "-q", "--junit", junit, "--json", json] + testImages(documented))
      #expect(run.status == 1, "\(run)")
      #expect(run.stderr.contains("cosine of 'logits' is"), "\(run)")
      #expect(run.stderr.contains("below the minimum 0.99"), "\(run)")
      let xml = String(decoding: try fileBytes(junit), as: UTF8.self)
      #expect(XMLParser(data: Data(xml.utf8)).parse())
      #expect(xml.contains("<failure message="))
      let report = try #require(JSONSerialization.jsonObject(with: fileBytes(json)) as? [String: Any])
      let layers = try #require(report["layers"] as? [[String: Any]], "a failed threshold runs the per-layer diagnosis")
      #expect(layers.first?["node"] as? String == conv.name)
      #expect(layers.first?["opType"] as? String == "Conv")
    }
  }

  @Test("fp16 vs float with --per-layer: every matched layer is listed, each with a small error")
  func fp16PerLayer() throws {
    try withTemporaryFolder { folder in
      let candidate = folder.file("fp16.onnx")
      let convert = try kiln(["quantize", model, "-o", candidate, "--fp16", "--keep-io-types"])
      try #require(convert.status == 0, "\(convert)")
      let json = folder.file("report.json")
      let run = try kiln(["validate", model, candidate, "--per-layer", "--json", json] + testImages())
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.contains("per-layer: worst"), "\(run)")
      let report = try #require(JSONSerialization.jsonObject(with: fileBytes(json)) as? [String: Any])
      let layers = try #require(report["layers"] as? [[String: Any]])
      #expect(!layers.isEmpty)
      for layer in layers {
        let error = try #require(layer["relativeError"] as? Double)
        #expect(error < 1e-2, "\(layer)")
      }
    }
  }

  @Test("thresholds from a config file; a flag overrides it")
  func config() throws {
    try withTemporaryFolder { folder in
      let config = folder.file("kiln-validate.json")
      try Data(#"{"minCosine": 1.5}"#.utf8).write(to: URL(fileURLWithPath: config))
      let fails = try kiln(["validate", model, model, "-q", "--random", "2", "--shape", "image=1x1x16x16", "--config", config])
      #expect(fails.status == 1, "\(fails)")
      let passes = try kiln(["validate", model, model, "-q", "--random", "2", "--shape", "image=1x1x16x16", "--config", config, "--min-cosine", "0.99"])
      #expect(passes.status == 0, "\(passes)")
    }
  }

  @Test("models with different input signatures: exit 2 naming the difference")
  func differentInputs() throws {
    try withTemporaryFolder { folder in
      let other = try writeSmallModel(folder.file("small.onnx"))
      expectCleanFailure(try kiln("validate", model, other, "--random", "2"), naming: ["inputs differ"])
    }
  }

  @Test("an empty image folder: exit 2")
  func emptyFolder() throws {
    try withTemporaryFolder { folder in
      let empty = try folder.folder("empty")
      expectCleanFailure(try kiln(["validate", model, model, "--images", empty] + preprocess), naming: [empty])
    }
  }

  @Test("labels naming missing images, or images without labels: exit 2 naming them")
  func labelProblems() throws {
    try withTemporaryFolder { folder in
      let labels = folder.file("labels.txt")
      try Data("000_5.png\t5\nnot-there.png\t3\n".utf8).write(to: URL(fileURLWithPath: labels))
      let images = ["--images", DigitsFixture.path("test")] + preprocess
      expectCleanFailure(
        try kiln(["validate", model, model, "--labels", labels] + images), naming: ["not among the samples", "not-there.png"])
      try Data("000_5.png\t5\n".utf8).write(to: URL(fileURLWithPath: labels))
      expectCleanFailure(try kiln(["validate", model, model, "--labels", labels] + images), naming: ["have no label", "001_2.png"])
    }
  }
}
