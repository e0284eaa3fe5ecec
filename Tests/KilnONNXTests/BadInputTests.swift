// Files that are not ONNX models: each is refused with a bad-input error naming the file.

import Foundation
import KilnIR
import KilnONNX
import KilnRuntime
import KilnTestSupport
import ONNXProto
import ONNXTestSupport
import Testing

/// The kinds of bad model file the reader must refuse.
enum BadModelFile: String, CaseIterable, CustomTestStringConvertible, Sendable {
  case empty, randomBytes, zeros, truncatedModel, tensorProto, nodeProto, graphProto, textFormat
  case hugeLengthPrefix, deepNesting, negativeDims, overflowingDims, overflowingDimsOfUnknownType
  case shortRawData, missingPath, directory

  var testDescription: String { rawValue }

  /// Creates the file in `folder` and returns its path.
  func make(in folder: TemporaryFolder) throws -> String {
    let path = folder.file("\(rawValue).onnx")
    func write(_ data: Data) throws { try data.write(to: URL(fileURLWithPath: path)) }
    func writeModel(_ initializer: Onnx_TensorProto) throws {
      try writeMessage(modelProto(initializers: [initializer]), to: path)
    }
    switch self {
    case .empty:
      try write(Data())
    case .randomBytes:
      var generator = SplitMix64(seed: 42)
      try write(Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    case .zeros:
      try write(Data(count: 1000))
    case .truncatedModel:
      let full = folder.file("full.onnx")
      try ONNXModelWriter.write(
        modelWithWeights([patternTensor("w", count: 1000), patternTensor("v", count: 10)]), to: full)
      let bytes = try fileBytes(full)
      try FileManager.default.removeItem(atPath: full)
      try write(bytes.prefix(bytes.count / 2))
    case .tensorProto:
      let tensor = Onnx_TensorProto(
        name: "w", dataType: .float, dims: [2, 2], rawData: littleEndianBytes([Float(1), 2, 3, 4]))
      try writeMessage(tensor, to: path)
    case .nodeProto:
      let node = Onnx_NodeProto(
        opType: "Relu", inputs: ["X"], outputs: ["Y"], name: "relu", domain: "com.example")
      try writeMessage(node, to: path)
    case .graphProto:
      try writeMessage(modelProto(initializers: []).graph, to: path)
    case .textFormat:
      try write(Data("<ir_version: 8, opset_import: [\"\" : 17]> g (float[N] X) => (float[N] Y) { Y = Relu(X) }".utf8))
    case .hugeLengthPrefix:
      // ir_version, then a graph field that claims 2^60 bytes.
      try write(varintField(1, 8) + varint(7 << 3 | 2) + varint(1 << 60) + Data(count: 16))
    case .deepNesting:
      // A node whose attribute holds a graph whose node holds an attribute ... 10 000 deep.
      var payload = Data()
      for _ in 0..<10_000 {
        payload = bytesField(5, bytesField(6, bytesField(1, payload)))
      }
      try write(varintField(1, 8) + bytesField(7, bytesField(1, payload)))
    case .negativeDims:
      try writeModel(Onnx_TensorProto(name: "w", dataType: .float, dims: [-4], rawData: Data(count: 16)))
    case .overflowingDims:
      try writeModel(
        Onnx_TensorProto(name: "w", dataType: .float, dims: [1 << 40, 1 << 40, 1 << 40], rawData: Data(count: 16)))
    case .overflowingDimsOfUnknownType:
      try writeModel(Onnx_TensorProto(name: "w", dataType: DataType(rawValue: 99), dims: [1 << 40, 1 << 40]))
    case .shortRawData:
      try writeModel(Onnx_TensorProto(name: "w", dataType: .float, dims: [100], rawData: Data(count: 16)))
    case .missingPath:
      break
    case .directory:
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }
    return path
  }
}

@Suite("Bad model files")
struct BadInputTests {
  @Test("a bad file is refused with a bad-input error that names it", arguments: BadModelFile.allCases)
  func refused(kind: BadModelFile) throws {
    try withTemporaryFolder { folder in
      let path = try kind.make(in: folder)
      let refusal = expectBadInput { _ = try ONNXModelReader.read(path: path) }
      #expect(refusal?.file == path)
      #expect(refusal.map { String(describing: $0) }?.hasPrefix(path + ": ") == true, "\(String(describing: refusal))")
    }
  }

  @Test("a bad buffer is refused by read(bytes:) too", arguments: BadModelFile.allCases)
  func refusedFromBytes(kind: BadModelFile) throws {
    guard kind != .missingPath, kind != .directory else { return }
    try withTemporaryFolder { folder in
      let bytes = try fileBytes(try kind.make(in: folder))
      let refusal = expectBadInput { _ = try ONNXModelReader.read(bytes: bytes, path: folder.file("named.onnx")) }
      #expect(refusal?.file == folder.file("named.onnx"))
    }
  }

  @Test("every prefix of a model that cuts into its graph is refused")
  func everyPrefix() throws {
    let builder = GraphBuilder("g")
    let x = builder.input("X", .tensor(.float, Shape([.symbolic("N")])))
    let w = builder.initializer(floatTensor("w", [1, 2, 3]))
    builder.output(builder.node("Add", [x, w], outputs: ["Y"], name: "add")[0])
    let model = makeModel(builder.graph)
    model.metadata = [MetadataEntry(key: "k", value: "v")]
    let bytes = try ONNXModelWriter.serialize(model)
    var accepted: [Int] = []
    for length in 1..<bytes.count {
      do {
        let read = try ONNXModelReader.read(bytes: bytes.prefix(length))
        // A cut between two whole fields after the graph leaves a shorter valid message; it
        // must still hold the whole graph.
        #expect(read.graph.nodes.count == 1, "\(length)-byte prefix")
        #expect(try read.graph.initializers.first?.constant?.rawData() == w.constant?.rawData())
        accepted.append(length)
      } catch let error as KilnError {
        #expect(error.kind == .badInput)
      }
    }
    #expect(accepted.count <= 3, "prefixes accepted: \(accepted) of \(bytes.count) bytes")
  }

  @Test("corrupting any byte of a model never crashes the reader")
  func corruptedBytes() throws {
    let model = RoundTripTests.annotatedModel()
    let bytes = try ONNXModelWriter.serialize(model)
    var generator = SplitMix64(seed: 7)
    for position in 0..<bytes.count {
      for replacement in [UInt8(0), 0xFF, UInt8.random(in: 0...255, using: &generator)] {
        var corrupted = bytes
        corrupted[position] = replacement
        do {
          let read = try ONNXModelReader.read(bytes: corrupted)
          _ = try? ONNXModelWriter.serialize(read)
        } catch let error as KilnError {
          #expect(error.kind == .badInput, "byte \(position) = \(replacement): \(error)")
        }
      }
    }
  }
}
