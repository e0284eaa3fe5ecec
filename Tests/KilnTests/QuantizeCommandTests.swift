// `kiln quantize`: int8 from a ranges file, fp16, and bad input that writes nothing.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

@Suite("kiln quantize")
struct QuantizeCommandTests {
  @Test("--int8 --ranges and --fp16 write models and print summaries")
  func writes() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("small.onnx"))
      try Data(#"{"X": {"min": -1, "max": 1}}"#.utf8).write(to: URL(fileURLWithPath: folder.file("ranges.json")))
      let int8 = try kiln("quantize", model, "-o", folder.file("int8.onnx"), "--int8", "--ranges", folder.file("ranges.json"))
      #expect(int8.status == 0 && int8.stdout.contains("int8: 1 nodes quantized"), "\(int8)")
      let read = try ONNXModelReader.read(path: folder.file("int8.onnx"))
      #expect(read.graph.nodes.map(\.opType).contains("DequantizeLinear"))
      let fp16 = try kiln("quantize", model, "-o", folder.file("fp16.onnx"), "--fp16", "--keep-io-types", "--json")
      #expect(fp16.status == 0 && fp16.stdout.contains("\"convertedNodes\""), "\(fp16)")
    }
  }

  @Test("bad input: exit 2, a message naming the problem, no output file")
  func badInput() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("small.onnx"))
      try Data(#"{"Y": {"min": 0, "max": 1}}"#.utf8).write(to: URL(fileURLWithPath: folder.file("other.json")))
      try Data("not json".utf8).write(to: URL(fileURLWithPath: folder.file("bad.json")))
      let output = folder.file("out.onnx")
      expectCleanFailure(
        try kiln("quantize", model, "-o", output, "--int8", "--ranges", folder.file("other.json")), naming: ["'X'", "same preparation pipeline"])
      expectCleanFailure(try kiln("quantize", model, "-o", output, "--int8", "--ranges", folder.file("bad.json")), naming: ["bad.json"])
      let usage = try kiln("quantize", model, "-o", output, "--int8", "--fp16")
      #expect(usage.status == 2 && usage.stderr.contains("exactly one of --int8 and --fp16"))
      #expect(!FileManager.default.fileExists(atPath: output))
    }
  }
}
