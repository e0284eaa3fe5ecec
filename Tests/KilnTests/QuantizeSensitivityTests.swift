// `kiln quantize --int8` with sensitivity analysis: keep-fp32, max-error, the report, bad options.

import Foundation
import KilnIR
import KilnONNX
import KilnRuntime
import KilnTestSupport
import Testing

@Suite("kiln quantize sensitivity")
struct QuantizeSensitivityTests {
  /// Writes `SensitiveModel` (model.onnx), its ranges (ranges.json) and 6 seeded random
  /// inputs (inputs/*.npy) into `folder`.
  func writeSensitiveModel(_ folder: TemporaryFolder) throws {
    try LibONNX.parseText(SensitiveModel.text).write(to: URL(fileURLWithPath: folder.file("model.onnx")))
    try Data(SensitiveModel.rangesJSON.utf8).write(to: URL(fileURLWithPath: folder.file("ranges.json")))
    let inputs = try folder.folder("inputs")
    var generator = SplitMix64(seed: 7)
    for index in 0..<6 {
      try NPYFile.write(HostTensor.random(.float, shape: [1, 3, 4, 4], using: &generator), to: "\(inputs)/\(index).npy")
    }
  }

  func quantize(_ folder: TemporaryFolder, _ arguments: String...) throws -> KilnRun {
    try kiln(
      ["quantize", folder.file("model.onnx"), "-o", folder.file("out.onnx"), "--int8", "--ranges", folder.file("ranges.json")]
        + arguments)
  }

  func report(_ path: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: fileBytes(path)) as? [String: Any])
  }

  @Test("--keep-fp32 1 keeps the sensitive Conv float32, writes the report and shows progress")
  func keepWorst() throws {
    try withTemporaryFolder { folder in
      try writeSensitiveModel(folder)
      let run = try quantize(
        folder, "--inputs", folder.file("inputs"), "--keep-fp32", "1", "--sensitivity", folder.file("report.json"),
        "--sensitivity-samples", "4")
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr.contains("sensitivity: layer 3/3") && run.stdout.contains("kept float32: \(SensitiveModel.sensitiveLayer)"), "\(run)")
      #expect(run.stdout.contains("\(SensitiveModel.sensitiveLayer) (Conv): kept float32 by sensitivity analysis"), "\(run)")
      let object = try report(folder.file("report.json"))
      #expect(object["schemaVersion"] as? Int == 1 && object["samples"] as? Int == 4)
      #expect(object["keptFloat"] as? [String] == [SensitiveModel.sensitiveLayer])
      #expect((object["layers"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.first == SensitiveModel.sensitiveLayer)
      let written = try ONNXModelReader.read(path: folder.file("out.onnx"))
      let producers = Dictionary(
        written.graph.nodes.flatMap { node in node.outputs.compactMap { $0 }.map { ($0.name, node.opType) } },
        uniquingKeysWith: { first, _ in first })
      let kept = try #require(written.graph.nodes.first { $0.name == SensitiveModel.sensitiveLayer })
      #expect(kept.inputs.allSatisfy { $0.map { producers[$0.name] != "DequantizeLinear" } ?? true })
      #expect(written.graph.nodes.filter { $0.opType == "QuantizeLinear" }.count == 2)
    }
  }

  @Test("--max-error that no int8 model meets: exit 1, the report but no model")
  func unmetBound() throws {
    try withTemporaryFolder { folder in
      try writeSensitiveModel(folder)
      let run = try quantize(folder, "--inputs", folder.file("inputs"), "--max-error", "0", "--sensitivity", folder.file("report.json"))
      #expect(run.status == 1 && run.stderr.contains("no int8 model meets --max-error 0"), "\(run)")
      #expect(!FileManager.default.fileExists(atPath: folder.file("out.onnx")))
      let selection = try #require(try report(folder.file("report.json"))["selection"] as? [String: Any])
      #expect(selection["boundMet"] as? Bool == false)
    }
  }

  @Test("--max-error met: the written model's error is within the bound")
  func metBound() throws {
    try withTemporaryFolder { folder in
      try writeSensitiveModel(folder)
      let run = try quantize(folder, "--inputs", folder.file("inputs"), "--max-error", "0.1", "--sensitivity", folder.file("report.json"))
      #expect(run.status == 0, "\(run)")
      let object = try report(folder.file("report.json"))
      let after = try #require((object["errorWithKeptLayers"] as? [String: Double])?["relativeL2"])
      #expect(after <= 0.1 && (object["selection"] as? [String: Any])?["boundMet"] as? Bool == true)
      #expect(object["keptFloat"] as? [String] == [SensitiveModel.sensitiveLayer])
    }
  }

  @Test("bad sensitivity options: exit 2 with a clear message, nothing written")
  func badOptions() throws {
    try withTemporaryFolder { folder in
      try writeSensitiveModel(folder)
      let inputs = folder.file("inputs")
      let cases: [([String], String)] = [
        (["--sensitivity", folder.file("r.json")], "needs samples: give --images DIR, --inputs DIR or --random N"),
        (["--inputs", inputs], "calibration data only serves sensitivity analysis"),
        (["--inputs", inputs, "--keep-fp32", "1", "--max-error", "0.1"], "at most one of --keep-fp32 and --max-error"),
        (["--inputs", inputs, "--keep-fp32", "1", "--sensitivity-samples", "0"], "--sensitivity-samples must be at least 1"),
        (["--inputs", inputs, "--max-error=-1"], "--max-error must be a finite number >= 0"),
        (["--inputs", inputs, "--keep-fp32", "4"], "cannot keep 4 layers in float32: the model has 3"),
        (["--images", folder.file("missing"), "--keep-fp32", "1"], "missing"),
        (["--inputs", inputs, "--keep-fp32", "1", "--sensitivity", folder.file("missing/report.json")], "cannot create output file"),
      ]
      for (arguments, message) in cases {
        let run = try kiln(
          ["quantize", folder.file("model.onnx"), "-o", folder.file("out.onnx"), "--int8", "--ranges", folder.file("ranges.json")]
            + arguments)
        #expect(run.status == 2 && run.stderr.contains(message), "\(arguments): \(run)")
      }
      let fp16 = try kiln("quantize", folder.file("model.onnx"), "-o", folder.file("out.onnx"), "--fp16", "--inputs", inputs, "--keep-fp32", "1")
      #expect(fp16.status == 2 && fp16.stderr.contains("are for --int8"), "\(fp16)")
      #expect(try folder.contents().sorted() == ["inputs", "model.onnx", "ranges.json"])
    }
  }
}
