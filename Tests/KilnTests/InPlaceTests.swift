// `kiln convert` never overwrites its input unless --in-place is given.

import Foundation
import KilnONNX
import KilnTestSupport
import Testing

@Suite("Overwriting the input")
struct InPlaceTests {
  @Test("convert refuses to write over its input without --in-place")
  func refused() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let before = try fileBytes(model)
      try FileManager.default.createSymbolicLink(atPath: folder.file("link.onnx"), withDestinationPath: model)
      _ = try folder.folder("sub")
      for (output, directory) in [
        (model, nil), ("m.onnx", folder.path), ("./sub/../m.onnx", folder.path),
        (folder.file("link.onnx"), nil),
      ] {
        let input = directory == nil ? model : "m.onnx"
        let run = try kiln(["convert", input, "-o", output], in: directory)
        #expect(run.status == 2, "-o \(output): \(run)")
        #expect(run.errorLines.count == 1, "\(run)")
        #expect(run.stderr.contains("--in-place"), "\(run)")
        #expect(try fileBytes(model) == before, "-o \(output)")
        #expect(try folder.contents() == ["link.onnx", "m.onnx", "sub"])
      }
    }
  }

  @Test("convert --in-place rewrites the input")
  func inPlace() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let before = try fileBytes(model)
      let run = try kiln("convert", model, "-o", model, "--in-place")
      #expect(run.status == 0, "\(run)")
      #expect(try fileBytes(model) == before, "an unchanged model is rewritten byte for byte")
      #expect(try folder.contents() == ["m.onnx"])
    }
  }

  @Test("convert --in-place rewrites a model with external data, data file included")
  func inPlaceExternal() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(
        folder.file("m.onnx"), extraWeightElements: 300_000,
        options: ONNXWriteOptions(externalData: .always))
      let before = try fileBytes(model)
      let dataBefore = try fileBytes(model + ".data")
      let run = try kiln("convert", model, "-o", model, "--in-place", "-q")
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.isEmpty)
      #expect(try fileBytes(model) == before)
      #expect(try fileBytes(model + ".data") == dataBefore)
      #expect(try folder.contents() == ["m.onnx", "m.onnx.data"])
      #expect(try kiln("inspect", model).status == 0)
    }
  }
}
