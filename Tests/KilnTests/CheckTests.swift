// `kiln convert --check`: ONNX's checker runs on the output and reports, without failing.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

@Suite("Convert --check")
struct CheckTests {
  @Test("a model libonnx can check fully gives no warnings")
  func cleanModel() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let run = try kiln("convert", model, "-o", folder.file("out.onnx"), "--check", "-q")
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr.isEmpty, "\(run)")
    }
  }

  @Test("a model newer than libonnx is written, with warnings and exit 0")
  func newerModel() throws {
    try withTemporaryFolder { folder in
      let newer = smallModel()
      newer.irVersion = 10
      newer.opsetImports = [OpsetImport(domain: "", version: 21)]
      let x = newer.graph.outputs[0]
      let y = Value(name: "G", type: x.type)
      newer.graph.append(Node(name: "gelu", opType: "Gelu", inputs: [x], outputs: [y]))
      newer.graph.outputs = [y]
      let path = folder.file("new.onnx")
      try ONNXModelWriter.write(newer, to: path)
      let out = folder.file("out.onnx")
      let run = try kiln("convert", path, "-o", out, "--check", "-q")
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr.contains("warning: \(out): IR version 10"), "\(run)")
      #expect(run.stderr.contains("opset 21"), "\(run)")
      #expect(run.stderr.contains("Gelu"), "\(run)")
      #expect(try fileBytes(out) == fileBytes(path))
    }
  }

  @Test("a problem the checker finds is reported as a warning, not a failure")
  func invalidModel() throws {
    try withTemporaryFolder { folder in
      let broken = smallModel()
      broken.graph.nodes[1].opType = "Relu"
      broken.graph.nodes[1].inputs = [broken.graph.inputs[0], broken.graph.inputs[0]]
      let path = folder.file("broken.onnx")
      try ONNXModelWriter.write(broken, to: path)
      let run = try kiln("convert", path, "-o", folder.file("out.onnx"), "--check", "-q")
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr.contains("the checker reports a problem"), "\(run)")
    }
  }
}
