// The TFLite reader: bad files, unsupported operators listed together, a small model's IR.

import Foundation
import KilnIR
import Testing

@testable import KilnTFLite

@Suite struct TFLiteModelReaderTests {
  typealias M = TFLiteTestModels

  @Test func convertsAConvolutionToNCHWBetweenNHWCEdges() throws {
    let model = try TFLiteModelReader.read(bytes: M.convolution())
    let graph = model.graph
    #expect(model.producerName == "kiln-tflite")
    #expect(model.opsetImports == [OpsetImport(domain: "", version: 17)])
    #expect(graph.nodes.map(\.opType) == ["Transpose", "Conv", "Relu", "Transpose"])
    #expect(graph.inputs.map(\.name) == ["image"])
    #expect(graph.inputs.first?.type == .tensor(.float, Shape(static: [1, 4, 4, 2])))
    #expect(graph.outputs.map(\.name) == ["features"])
    #expect(graph.outputs.first?.type == .tensor(.float, Shape(static: [1, 4, 4, 3])))
    let conv = try #require(graph.nodes.first { $0.opType == "Conv" })
    #expect(conv.ints("pads") == [0, 0, 0, 0])
    #expect(conv.int("group", default: 0) == 1)
    let weights = try #require(conv.inputs[1]?.constant)
    #expect(weights.dims == [3, 2, 1, 1])
    #expect(try weights.rawData() == Data(M.floatBytes((0..<6).map(Float.init))))
  }

  @Test func readsABufferStoredPastTheFlatbuffer() throws {
    // Models over 2 GB keep buffers at offset/size from the start of the file.
    let payload = M.floatBytes([1, 2, 3])
    let build = { (offset: UInt64, trailer: [UInt8]) in
      M.model(
        codes: [M.code(0)],
        tensors: [M.tensor("x", [3]), M.tensor("bias", [3], buffer: 1), M.tensor("y", [3])],
        inputs: [0], outputs: [2], operators: [M.op(0, [0, 1], [2])],
        buffers: [FlatObject([:]), FlatObject([1: .uint64(offset), 2: .uint64(12)])], trailer: trailer)
    }
    // The flatbuffer's size does not depend on the offset's value: measure it, then point past it.
    let offset = UInt64(build(2, []).count + 4)
    let data = build(offset, [0, 0, 0, 0] + payload)
    #expect(UInt64(data.count) == offset + 12)
    let model = try TFLiteModelReader.read(bytes: data)
    let add = try #require(model.graph.nodes.first { $0.opType == "Add" })
    #expect(try add.inputs[1]?.constant?.rawData() == Data(payload))
  }

  @Test func listsEveryUnsupportedOperatorInOneError() throws {
    let data = M.model(
      codes: [M.code(47), M.code(8), FlatObject([0: .int8(32), 1: .string("MyOp")])],
      tensors: [M.tensor("x", [4]), M.tensor("e", [4]), M.tensor("f", [4]), M.tensor("g", [4])],
      inputs: [0], outputs: [3], operators: [M.op(0, [0], [1]), M.op(1, [1], [2]), M.op(2, [2], [3])])
    let error = try #require(throws: KilnError.self) { try TFLiteModelReader.read(bytes: data) }
    #expect(error.kind == .badInput)
    #expect(error.message.contains("3 operators"))
    #expect(error.message.contains("'e' (EXP)"))
    #expect(error.message.contains("'f' (FLOOR)"))
    #expect(error.message.contains("'g' (custom op MyOp)"))
  }

  @Test func usesTheLargerOfTheTwoOperatorCodeFields() throws {
    // A file written before builtin_code existed has only the int8 field (here RELU = 19).
    let data = M.model(
      codes: [FlatObject([0: .int8(19)])], tensors: [M.tensor("x", [4]), M.tensor("y", [4])],
      inputs: [0], outputs: [1], operators: [M.op(0, [0], [1])])
    #expect(try TFLiteModelReader.read(bytes: data).graph.nodes.map(\.opType) == ["Relu"])
  }

  @Test func refusesTruncatedAndForeignFiles() throws {
    let whole = M.convolution()
    for length in [0, 7, 40, whole.count / 2] {
      let error = try #require(throws: KilnError.self) { try TFLiteModelReader.read(bytes: whole.prefix(length)) }
      #expect(error.kind == .badInput)
    }
    var foreign = whole
    foreign.replaceSubrange(4..<8, with: Array("ONNX".utf8))
    let error = try #require(throws: KilnError.self) { try TFLiteModelReader.read(bytes: foreign) }
    #expect(error.message.contains("TFL3"))
  }

  @Test func refusesWeightsShorterThanTheirShape() throws {
    let data = M.model(
      codes: [M.code(0)],
      tensors: [M.tensor("x", [3]), M.tensor("bias", [3], buffer: 1), M.tensor("y", [3])],
      inputs: [0], outputs: [2], operators: [M.op(0, [0, 1], [2])],
      buffers: [FlatObject([:]), FlatObject([0: .bytes(M.floatBytes([1, 2]))])])
    let error = try #require(throws: KilnError.self) { try TFLiteModelReader.read(bytes: data) }
    #expect(error.message.contains("bias"))
  }
}
