// External data: writing weights beside the model, reading them back, and the write modes.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import ONNXProto
import ONNXTestSupport
import Testing

@Suite("External data")
struct ExternalDataTests {
  /// Small tensors (below the 1 KiB default threshold), mid-size ones, and ones of at least
  /// 1 MiB, interleaved so that alignment matters.
  static func mixedWeights() -> [Tensor] {
    [
      patternTensor("small", count: 100),  // 400 B: stays inline
      patternTensor("mid", count: 1000),  // 4000 B
      patternTensor("big1", count: 300_000),  // 1.2 MB
      patternTensor("odd", count: 333),  // 1332 B
      patternTensor("big2", count: 262_145),  // 1 MiB + 4 B
      Tensor(name: "tiny", dataType: .int64, dims: [1], bytes: littleEndianBytes([Int64(5)])),
    ]
  }

  @Test(".always puts tensors above the threshold in a .data file, aligned, and reads back equal")
  func alwaysWritesExternal() throws {
    try withTemporaryFolder { folder in
      let weights = Self.mixedWeights()
      let path = folder.file("model.onnx")
      let (read, summary) = try writeAndRead(
        modelWithWeights(weights), to: path, options: ONNXWriteOptions(externalData: .always))
      let dataPath = folder.file("model.onnx.data")
      #expect(summary.externalDataPath.map(canonical) == canonical(dataPath))
      #expect(summary.externalTensorCount == 4)
      #expect(FileManager.default.fileExists(atPath: dataPath))
      #expect(try summary.externalBytes == fileSize(dataPath))
      #expect(try summary.modelBytes == fileSize(path))
      #expect(try fileSize(path) < 4096)
      #expect(try folder.contents() == ["model.onnx", "model.onnx.data"])

      var ranges: [Range<Int64>] = []
      for original in weights {
        let tensor = try initializer(read, original.name)
        #expect(try tensor.rawData() == original.rawData(), "\(original.name)")
        if original.byteCount < 1024 {
          #expect(tensor.storage.isMapped, "\(original.name) stays inline")
          continue
        }
        let reference = try #require(tensor.storage.externalReference, "\(original.name) is external")
        #expect(reference.location == "model.onnx.data")
        #expect(reference.length == original.byteCount)
        let alignment: Int64 = original.byteCount >= 1 << 20 ? 4096 : 64
        #expect(reference.offset % alignment == 0, "\(original.name) at \(reference.offset)")
        ranges.append(reference.offset..<(reference.offset + original.byteCount))
      }
      for (index, range) in ranges.enumerated() {
        for other in ranges[(index + 1)...] { #expect(!range.overlaps(other)) }
      }
    }
  }

  @Test("the location name and the size threshold are honoured")
  func locationAndThreshold() throws {
    try withTemporaryFolder { folder in
      let weights = Self.mixedWeights()
      let options = ONNXWriteOptions(
        externalData: .always, externalDataLocation: "weights.bin", sizeThreshold: 0)
      let (read, summary) = try writeAndRead(
        modelWithWeights(weights), to: folder.file("m.onnx"), options: options)
      #expect(summary.externalTensorCount == weights.count)
      #expect(try folder.contents() == ["m.onnx", "weights.bin"])
      for original in weights {
        let tensor = try initializer(read, original.name)
        #expect(tensor.storage.externalReference?.location == "weights.bin")
        #expect(try tensor.rawData() == original.rawData())
      }
    }
  }

  @Test("an external-data name that is a path or the model's own name is refused")
  func badLocationNames() throws {
    try withTemporaryFolder { folder in
      let model = modelWithWeights(Self.mixedWeights())
      for name in ["sub/w.bin", "../w.bin", "/tmp/w.bin", "m.onnx"] {
        let refusal = expectBadInput {
          try ONNXModelWriter.write(
            model, to: folder.file("m.onnx"),
            options: ONNXWriteOptions(externalData: .always, externalDataLocation: name))
        }
        #expect(mentions(refusal, name), "\(String(describing: refusal))")
      }
      let leftovers = try folder.contents()
      #expect(leftovers == [])
    }
  }

  @Test(".never writes every tensor inline, even when the input kept them external")
  func neverKeepsInline() throws {
    try withTemporaryFolder { folder in
      let weights = Self.mixedWeights()
      let external = try writeAndRead(
        modelWithWeights(weights), to: folder.file("in.onnx"),
        options: ONNXWriteOptions(externalData: .always)
      ).0
      let output = folder.file("out.onnx")
      let (read, summary) = try writeAndRead(
        external, to: output, options: ONNXWriteOptions(externalData: .never))
      #expect(summary.externalDataPath == nil)
      #expect(!FileManager.default.fileExists(atPath: output + ".data"))
      for original in weights {
        let tensor = try initializer(read, original.name)
        #expect(tensor.storage.isMapped)
        #expect(try tensor.rawData() == original.rawData())
      }
      // The inline file is what writing the IR inline directly gives.
      let direct = folder.file("direct.onnx")
      try ONNXModelWriter.write(modelWithWeights(weights), to: direct)
      #expect(try fileBytes(direct) == fileBytes(output))
    }
  }

  @Test(".automatic keeps weights external when the input had them external")
  func automaticKeepsExternal() throws {
    try withTemporaryFolder { folder in
      let weights = Self.mixedWeights()
      let input = folder.file("in.onnx")
      let external = try writeAndRead(
        modelWithWeights(weights), to: input, options: ONNXWriteOptions(externalData: .always)
      ).0
      try FileManager.default.createDirectory(atPath: folder.file("out"), withIntermediateDirectories: false)
      let output = folder.file("out/out.onnx")
      let (read, summary) = try writeAndRead(external, to: output)
      #expect(summary.externalDataPath != nil)
      #expect(summary.externalTensorCount == 4)
      #expect(FileManager.default.fileExists(atPath: folder.file("out/out.onnx.data")))

      // The output has its own copy: it still reads after the input is gone.
      try FileManager.default.removeItem(atPath: input)
      try FileManager.default.removeItem(atPath: input + ".data")
      for original in weights {
        let tensor = try initializer(read, original.name)
        if original.byteCount >= 1024 {
          #expect(tensor.storage.externalReference?.location == "out.onnx.data")
        }
        #expect(try tensor.rawData() == original.rawData())
      }
    }
  }

  @Test(".automatic keeps a small inline model inline")
  func automaticKeepsInline() throws {
    try withTemporaryFolder { folder in
      let (_, summary) = try writeAndRead(
        modelWithWeights(Self.mixedWeights()), to: folder.file("m.onnx"))
      #expect(summary.externalDataPath == nil)
      #expect(summary.externalTensorCount == 0)
      #expect(try folder.contents() == ["m.onnx"])
    }
  }

  @Test("an external model written again under the same name is byte-identical, data included")
  func externalRoundTripIsIdentical() throws {
    try withTemporaryFolder { folder in
      for sub in ["a", "b"] {
        try FileManager.default.createDirectory(atPath: folder.file(sub), withIntermediateDirectories: false)
      }
      let first = folder.file("a/model.onnx")
      let second = folder.file("b/model.onnx")
      let (read, _) = try writeAndRead(
        modelWithWeights(Self.mixedWeights()), to: first, options: ONNXWriteOptions(externalData: .always))
      try ONNXModelWriter.write(read, to: second)
      #expect(try fileBytes(first) == fileBytes(second))
      #expect(try fileBytes(first + ".data") == fileBytes(second + ".data"))
    }
  }

  @Test("external data written by another tool with offsets and lengths of its own is read")
  func foreignLayout() throws {
    try withTemporaryFolder { folder in
      // Two tensors in one file, the second at an unaligned offset, the first without a length.
      let a = littleEndianBytes([Float(1), 2, 3])
      let b = littleEndianBytes([Float(-1), -2])
      try (b + Data([0xEE]) + a).write(to: URL(fileURLWithPath: folder.file("w.bin")))
      let proto = modelProto(initializers: [
        externalTensorProto("a", count: 3, location: "w.bin", offset: Int64(b.count + 1)),
        externalTensorProto("b", count: 2, location: "./w.bin", offset: 0, length: Int64(b.count)),
      ])
      let path = folder.file("m.onnx")
      try writeMessage(proto, to: path)
      let model = try ONNXModelReader.read(path: path)
      #expect(try initializer(model, "a").rawData() == a)
      #expect(try initializer(model, "b").rawData() == b)
      let out = folder.file("out.onnx")
      let (read, _) = try writeAndRead(model, to: out, options: ONNXWriteOptions(sizeThreshold: 0))
      #expect(try initializer(read, "a").rawData() == a)
      #expect(try initializer(read, "b").rawData() == b)
      #expect(try initializer(read, "b").storage.externalReference?.location == "out.onnx.data")
    }
  }
}

/// `path` with symlinks resolved (the temporary folder may sit behind one).
func canonical(_ path: String) -> String {
  URL(fileURLWithPath: path).resolvingSymlinksInPath().path
}
