// Recognizing a model's format from its content, and the --weights rules.

import Foundation
import Kiln
import KilnIR
import KilnTestSupport
import Testing

@Suite("Model format")
struct ModelFormatTests {
  @Test("formats are recognized by content, whatever the file is called")
  func recognizedByContent() throws {
    try withTemporaryFolder { folder in
      let cases: [(Data, ModelFormat)] = [
        (Data([0x1C, 0, 0, 0]) + Data("TFL3".utf8) + Data(count: 32), .tflite),
        (Data("# yolo\n\n[net]\nbatch=1\n[convolutional]\n".utf8), .darknet),
        (Data("name: \"ResNet\"\ninput: \"data\"\ninput_dim: 1\n".utf8), .caffe),
        (Data("name: \"LeNet\"\nlayer {\n  name: \"data\"\n  type: \"Input\"\n}\n".utf8), .caffe),
        (Data([0x08, 0x08, 0x12, 0x04]) + Data("kiln".utf8), .onnx),
      ]
      for (index, (bytes, format)) in cases.enumerated() {
        let path = folder.file("model\(index).bin")
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try ModelFile(path: path).format() == format, "case \(index)")
      }
    }
  }

  @Test("a Caffe or Darknet model without --weights, or an ONNX model with it, is a usage error")
  func weightsRules() throws {
    try withTemporaryFolder { folder in
      let cfg = folder.file("tiny.cfg")
      try Data("[net]\nwidth=8\n".utf8).write(to: URL(fileURLWithPath: cfg))
      let missing = #expect(throws: KilnError.self) { try ModelFile(path: cfg).read() }
      #expect(missing?.kind == .usage)
      #expect(missing?.message.contains("weights") == true)

      let onnx = folder.file("m.onnx")
      try Data([0x08, 0x08]).write(to: URL(fileURLWithPath: onnx))
      let extra = #expect(throws: KilnError.self) { try ModelFile(path: onnx, weights: cfg).read() }
      #expect(extra?.kind == .usage)
    }
  }

  @Test("a Darknet cfg with its weights is read by the Darknet frontend")
  func darknetIsRead() throws {
    try withTemporaryFolder { folder in
      let cfg = folder.file("tiny.cfg")
      let weights = folder.file("tiny.weights")
      try Data("[net]\nwidth=2\nheight=2\nchannels=1\n[convolutional]\nfilters=1\nactivation=linear\n".utf8)
        .write(to: URL(fileURLWithPath: cfg))
      try (littleEndianBytes([Int32(0), 2, 0]) + littleEndianBytes([Int64(0)]) + littleEndianBytes([Float(1), 2]))
        .write(to: URL(fileURLWithPath: weights))
      let model = try ModelFile(path: cfg, weights: weights).read()
      #expect(model.producerName == "kiln-darknet")
      #expect(model.graph.nodes.map(\.opType) == ["Conv"])
    }
  }

  @Test("a missing file or a folder is bad input naming the path")
  func missingFile() throws {
    try withTemporaryFolder { folder in
      for path in [folder.file("absent.onnx"), folder.path] {
        let error = #expect(throws: KilnError.self) { try ModelFile(path: path).read() }
        #expect(error?.kind == .badInput)
        #expect(error?.file == path)
      }
    }
  }
}
