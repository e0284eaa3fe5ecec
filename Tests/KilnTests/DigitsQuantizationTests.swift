// The digits fixture end to end: calibrate on its images, quantize to int8 and fp16, and keep
// the float model's accuracy.

import DigitsTestSupport
import Foundation
import KilnIR
import KilnONNX
import KilnQuant
import KilnTestSupport
import Testing

@Suite("digits: calibrate, quantize, accuracy")
struct DigitsQuantizationTests {
  private let model = DigitsFixture.path("model.onnx")
  private var images: [String] {
    ["--images", DigitsFixture.path("calibration"), "--preprocess", DigitsFixture.path("preprocess.json")]
  }

  @Test("int8 from calibration statistics: within 1 point of float, about 1/4 of its size")
  func int8KeepsAccuracy() throws {
    try withTemporaryFolder { folder in
      let calibrate = try kiln(["calibrate", model, "-q", "-o", folder.file("stats.json")] + images)
      #expect(calibrate.status == 0, "\(calibrate)")
      let output = folder.file("int8.onnx")
      let quantize = try kiln("quantize", model, "-o", output, "--int8", "--stats", folder.file("stats.json"))
      #expect(quantize.status == 0, "\(quantize)")
      let float = try DigitsFixture.accuracy(of: ONNXModelReader.read(path: model))
      let int8 = try DigitsFixture.accuracy(of: ONNXModelReader.read(path: output))
      #expect(int8 >= float - 1, "float \(float)%, int8 \(int8)%")
      let ratio = Double(try fileSize(output)) / Double(try fileSize(model))
      #expect(ratio < 0.3, "int8 / float size \(ratio)")
    }
  }

  @Test("calibrating while quantizing (--images) gives the model --stats gives, with the method the statistics name")
  func calibrationInProcessMatchesStatistics() throws {
    try withTemporaryFolder { folder in
      _ = try kiln(["calibrate", model, "-q", "--method", "percentile", "-o", folder.file("stats.json")] + images)
      let fromStats = try kiln("quantize", model, "-o", folder.file("a.onnx"), "--int8", "--stats", folder.file("stats.json"))
      let fromImages = try kiln(["quantize", model, "-o", folder.file("b.onnx"), "--int8", "--method", "percentile"] + images)
      #expect(fromStats.status == 0 && fromImages.status == 0, "\(fromStats)\n\(fromImages)")
      #expect(try fileBytes(folder.file("a.onnx")) == fileBytes(folder.file("b.onnx")))
    }
  }

  @Test("the same images calibrate and measure sensitivity; the kept layer stays float")
  func sensitivityOnCalibrationImages() throws {
    try withTemporaryFolder { folder in
      let output = folder.file("int8.onnx")
      let run = try kiln(
        ["quantize", model, "-o", output, "--int8", "--keep-fp32", "1", "--sensitivity-samples", "16",
         "--sensitivity", folder.file("report.json")] + images)
      #expect(run.status == 0, "\(run)")
      let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("report.json"))))
      let kept = try #require((report as? [String: Any])?["keptFloat"] as? [String])
      #expect(kept.count == 1)
      let quantized = try ONNXModelReader.read(path: output)
      let keptNode = try #require(quantized.graph.nodes.first { $0.name == kept[0] })
      #expect(keptNode.inputs.allSatisfy { $0?.producer?.opType != "DequantizeLinear" })
      #expect(try DigitsFixture.accuracy(of: quantized) >= DigitsFixture.accuracy(of: ONNXModelReader.read(path: model)) - 1)
    }
  }

  @Test("fp16: within 0.2 point of float")
  func float16KeepsAccuracy() throws {
    try withTemporaryFolder { folder in
      let output = folder.file("fp16.onnx")
      let quantize = try kiln("quantize", model, "-o", output, "--fp16", "--keep-io-types")
      #expect(quantize.status == 0, "\(quantize)")
      let float = try DigitsFixture.accuracy(of: ONNXModelReader.read(path: model))
      let half = try DigitsFixture.accuracy(of: ONNXModelReader.read(path: output))
      #expect(abs(half - float) <= 0.2, "float \(float)%, fp16 \(half)%")
    }
  }

  @Test("statistics of another model are refused by name")
  func statisticsOfAnotherModel() throws {
    try withTemporaryFolder { folder in
      let small = try writeSmallModel(folder.file("small.onnx"))
      _ = try kiln("calibrate", small, "--random", "2", "--shape", "X=1x3", "-q", "-o", folder.file("small.json"))
      expectCleanFailure(
        try kiln("quantize", model, "-o", folder.file("out.onnx"), "--int8", "--stats", folder.file("small.json")),
        naming: ["kiln calibrate on this model"])
    }
  }
}
