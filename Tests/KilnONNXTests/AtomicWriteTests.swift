// Atomic writes: a write that fails midway leaves the destination as it was and no debris.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

@Suite("Atomic writes")
struct AtomicWriteTests {
  /// Writes a model with external weights into `folder/in/`, reads it back, then lets
  /// `sabotage` damage its data file; returns the model read before the damage.
  static func modelWithDamagedData(
    in folder: TemporaryFolder, _ sabotage: (String) throws -> Void
  ) throws -> Model {
    try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: false)
    let input = folder.file("in/model.onnx")
    let weights = [patternTensor("a", count: 300_000), patternTensor("b", count: 2000, seed: 1)]
    let (model, _) = try writeAndRead(
      modelWithWeights(weights), to: input, options: ONNXWriteOptions(externalData: .always))
    try sabotage(input + ".data")
    return model
  }

  static let sabotages: [(String, @Sendable (String) throws -> Void)] = [
    ("vanished", { try FileManager.default.removeItem(atPath: $0) }),
    (
      "truncated",
      { path in
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 1000)
        try handle.close()
      }
    ),
  ]

  static let modes: [(String, ONNXWriteOptions)] = [
    ("external", ONNXWriteOptions(externalData: .automatic)),
    ("inline", ONNXWriteOptions(externalData: .never)),
  ]

  /// Runs `body` for every sabotage and write mode, each in a fresh folder with an empty `out/`:
  /// `body` gets the folder, the damaged model, the output path `out/out.onnx`, the options,
  /// and a label naming the case.
  static func forEachFailingWrite(
    _ body: (TemporaryFolder, Model, String, ONNXWriteOptions, String) throws -> Void
  ) throws {
    for (what, sabotage) in sabotages {
      for (modeName, options) in modes {
        try withTemporaryFolder { folder in
          let model = try modelWithDamagedData(in: folder, sabotage)
          let output = try folder.folder("out") + "/out.onnx"
          try body(folder, model, output, options, "data \(what), \(modeName)")
        }
      }
    }
  }

  @Test("a failed write leaves an existing destination and its data file unchanged")
  func existingDestinationKept() throws {
    try Self.forEachFailingWrite { folder, model, output, options, label in
      try Data("previous model".utf8).write(to: URL(fileURLWithPath: output))
      try Data("previous data".utf8).write(to: URL(fileURLWithPath: output + ".data"))
      let refusal = expectBadInput { try ONNXModelWriter.write(model, to: output, options: options) }
      #expect(refusal != nil, "\(label) write")
      #expect(try fileBytes(output) == Data("previous model".utf8), "\(label)")
      #expect(try fileBytes(output + ".data") == Data("previous data".utf8), "\(label)")
      #expect(try folder.contents("out") == ["out.onnx", "out.onnx.data"])
    }
  }

  @Test("a failed write creates no destination and leaves no temporary file")
  func noDestinationCreated() throws {
    try Self.forEachFailingWrite { folder, model, output, options, label in
      let refusal = expectBadInput { try ONNXModelWriter.write(model, to: output, options: options) }
      #expect(refusal != nil, "\(label) write")
      let leftovers = try folder.contents("out")
      #expect(leftovers == [], "\(label)")
    }
  }

  @Test("writing into a folder that does not exist fails naming the path, creating nothing")
  func missingFolder() throws {
    try withTemporaryFolder { folder in
      let output = folder.file("nowhere/out.onnx")
      let refusal = expectBadInput { try ONNXModelWriter.write(modelWithWeights([]), to: output) }
      #expect(mentions(refusal, output))
      let leftovers = try folder.contents()
      #expect(leftovers == [])
    }
  }

  @Test("a successful write replaces the destination and leaves no temporary file")
  func successfulReplace() throws {
    try withTemporaryFolder { folder in
      let output = folder.file("out.onnx")
      try Data("previous".utf8).write(to: URL(fileURLWithPath: output))
      try ONNXModelWriter.write(
        modelWithWeights([patternTensor("w", count: 1000)]), to: output,
        options: ONNXWriteOptions(externalData: .always))
      #expect(try folder.contents() == ["out.onnx", "out.onnx.data"])
      #expect(try initializer(ONNXModelReader.read(path: output), "w").rawData() == patternTensor("w", count: 1000).rawData())
    }
  }

  @Test("a model read with external data can be written back over itself")
  func overwriteOwnSource() throws {
    try withTemporaryFolder { folder in
      let path = folder.file("model.onnx")
      let weights = [patternTensor("a", count: 300_000), patternTensor("b", count: 2000, seed: 1)]
      let (model, _) = try writeAndRead(
        modelWithWeights(weights), to: path, options: ONNXWriteOptions(externalData: .always))
      let before = try fileBytes(path)
      let dataBefore = try fileBytes(path + ".data")
      try ONNXModelWriter.write(model, to: path)
      #expect(try fileBytes(path) == before)
      #expect(try fileBytes(path + ".data") == dataBefore)
      #expect(try folder.contents() == ["model.onnx", "model.onnx.data"])
    }
  }
}
