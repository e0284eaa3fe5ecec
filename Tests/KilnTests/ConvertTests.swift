// `kiln convert --pipeline none`: a round trip, with the external-data options.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

@Suite("Convert")
struct ConvertTests {
  @Test("convert writes the model back byte for byte and reports what it wrote")
  func roundTrip() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"), extraWeightElements: 1000)
      let out = folder.file("out.onnx")
      let run = try kiln("convert", model, "-o", out, "--pipeline", "none")
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.contains("wrote \(out)"), "\(run)")
      #expect(run.stderr.isEmpty)
      #expect(try fileBytes(out) == fileBytes(model))
      #expect(try folder.contents() == ["m.onnx", "out.onnx"])
    }
  }

  @Test("-q prints nothing on success")
  func quiet() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let run = try kiln("convert", model, "-o", folder.file("out.onnx"), "-q")
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.isEmpty && run.stderr.isEmpty, "\(run)")
    }
  }

  @Test("--external-data, --external-data-name and --size-threshold place the weights")
  func externalData() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"), extraWeightElements: 1000)
      var run = try kiln("convert", model, "-o", folder.file("a.onnx"), "--external-data")
      #expect(run.status == 0, "\(run)")
      let a = try ONNXModelReader.read(path: folder.file("a.onnx"))
      #expect(a.graph.initializers.map(\.constant!.isExternal) == [false, true])

      run = try kiln(
        "convert", model, "-o", folder.file("b.onnx"), "--external-data", "--external-data-name",
        "weights.bin", "--size-threshold", "0")
      #expect(run.status == 0, "\(run)")
      let b = try ONNXModelReader.read(path: folder.file("b.onnx"))
      #expect(b.graph.initializers.map(\.constant!.isExternal) == [true, true])
      #expect(try folder.contents() == ["a.onnx", "a.onnx.data", "b.onnx", "m.onnx", "weights.bin"])

      // An external input stays external by default, and goes inline on request.
      run = try kiln("convert", folder.file("b.onnx"), "-o", folder.file("c.onnx"))
      #expect(run.status == 0, "\(run)")
      #expect(FileManager.default.fileExists(atPath: folder.file("c.onnx.data")))
      run = try kiln("convert", folder.file("b.onnx"), "-o", folder.file("d.onnx"), "--no-external-data")
      #expect(run.status == 0, "\(run)")
      #expect(!FileManager.default.fileExists(atPath: folder.file("d.onnx.data")))
      #expect(try fileBytes(folder.file("d.onnx")) == fileBytes(model))
    }
  }
}
