// Shared helpers: temporary folders, IR model builders, and raw ONNX protobuf builders.

import Foundation
import KilnIR
import KilnONNX
import ONNXProto
import SwiftProtobuf
import Testing

// MARK: - Temporary folders

/// A fresh folder under the system temporary directory.
struct TemporaryFolder {
  let path: String

  /// The path of `name` inside the folder.
  func file(_ name: String) -> String { path + "/" + name }

  /// The names in the folder, sorted (hidden temporary files included).
  func contents() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
  }
}

/// Runs `body` with a new temporary folder and removes the folder afterwards.
func withTemporaryFolder<R>(_ body: (TemporaryFolder) throws -> R) throws -> R {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("kiln-onnx-tests-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: path) }
  return try body(TemporaryFolder(path: path))
}

/// The bytes of the file at `path`.
func fileBytes(_ path: String) throws -> Data {
  try Data(contentsOf: URL(fileURLWithPath: path))
}

/// The size of the file at `path`.
func fileSize(_ path: String) throws -> Int64 {
  let attributes = try FileManager.default.attributesOfItem(atPath: path)
  return (attributes[.size] as? NSNumber)?.int64Value ?? -1
}

// MARK: - Tensors

/// The little-endian bytes of `values`.
func littleEndianBytes<T>(_ values: [T]) -> Data {
  values.withUnsafeBytes { Data($0) }
}

/// A float32 tensor holding `values` (1-D unless `dims` is given).
func floatTensor(_ name: String, _ values: [Float], dims: [Int64]? = nil) -> Tensor {
  Tensor(
    name: name, dataType: .float, dims: dims ?? [Int64(values.count)],
    bytes: littleEndianBytes(values))
}

/// A float32 tensor of `count` elements with a recognizable pattern.
func patternTensor(_ name: String, count: Int, seed: Float = 0) -> Tensor {
  floatTensor(name, (0..<count).map { Float($0 % 1000) * 0.5 + seed })
}

extension TensorStorage {
  var isMapped: Bool {
    if case .mapped = self { return true }
    return false
  }

  var externalReference: ExternalData? {
    if case .external(let reference) = self { return reference }
    return nil
  }
}

// MARK: - IR models

/// Builds a graph one statement at a time.
final class GraphBuilder {
  let graph: Graph

  init(_ name: String = "main") { graph = Graph(name: name) }

  @discardableResult
  func input(_ name: String, _ type: ValueType? = nil) -> Value {
    let value = Value(name: name, type: type)
    graph.inputs.append(value)
    return value
  }

  @discardableResult
  func initializer(_ tensor: Tensor) -> Value {
    let value = Value(name: tensor.name, constant: tensor)
    graph.initializers.append(value)
    return value
  }

  @discardableResult
  func node(
    _ op: String, _ inputs: [Value?], outputs: [String], name: String = "", domain: String = "",
    attributes: [Attribute] = []
  ) -> [Value] {
    let values = outputs.map { Value(name: $0) }
    graph.append(
      Node(
        name: name, opType: op, domain: domain, inputs: inputs, outputs: values,
        attributes: attributes))
    return values
  }

  func output(_ values: Value...) { graph.outputs += values }
}

/// A model around `graph`.
func makeModel(
  _ graph: Graph, irVersion: Int64 = 10, opsets: [OpsetImport] = [OpsetImport(domain: "", version: 21)]
) -> Model {
  Model(
    irVersion: irVersion, opsetImports: opsets, producerName: "kiln-tests",
    producerVersion: "1", graph: graph)
}

/// A valid model in which every tensor of `weights` is an initializer that an Identity node
/// passes to a graph output; plus an input `X` of type float32[N,4] that a Relu reads.
func modelWithWeights(_ weights: [Tensor]) -> Model {
  let builder = GraphBuilder("weights")
  let x = builder.input("X", .tensor(.float, Shape([.symbolic("N"), .fixed(4)])))
  let y = builder.node("Relu", [x], outputs: ["Y"], name: "relu")[0]
  builder.output(y)
  for (index, tensor) in weights.enumerated() {
    let value = builder.initializer(tensor)
    let out = builder.node("Identity", [value], outputs: ["out\(index)"], name: "id\(index)")[0]
    builder.output(out)
  }
  return makeModel(builder.graph)
}

/// Writes `model` to `path` and reads it back.
func writeAndRead(
  _ model: Model, to path: String, options: ONNXWriteOptions = .init()
) throws -> (Model, ONNXWriteSummary) {
  let summary = try ONNXModelWriter.write(model, to: path, options: options)
  return (try ONNXModelReader.read(path: path), summary)
}

/// The initializer named `name` in the main graph.
func initializer(_ model: Model, _ name: String) throws -> Tensor {
  try #require(model.graph.initializers.first { $0.name == name }?.constant)
}

// MARK: - Raw ONNX messages

/// A TensorProto of float32 values kept in an external-data file at `location`.
func externalTensorProto(
  _ name: String, count: Int, location: String, offset: Int64? = nil, length: Int64? = nil
) -> Onnx_TensorProto {
  var tensor = Onnx_TensorProto()
  tensor.name = name
  tensor.dataType = DataType.float.rawValue
  tensor.dims = [Int64(count)]
  tensor.dataLocation = .external
  var entries = [("location", location)]
  if let offset { entries.append(("offset", String(offset))) }
  if let length { entries.append(("length", String(length))) }
  tensor.externalData = entries.map { key, value in
    var entry = Onnx_StringStringEntryProto()
    entry.key = key
    entry.value = value
    return entry
  }
  return tensor
}

/// A ModelProto whose graph has `initializers`, each passed to an output by an Identity node.
func modelProto(initializers: [Onnx_TensorProto], irVersion: Int64 = 8) -> Onnx_ModelProto {
  var graph = Onnx_GraphProto()
  graph.name = "g"
  graph.initializer = initializers
  for tensor in initializers {
    var node = Onnx_NodeProto()
    node.opType = "Identity"
    node.input = [tensor.name]
    node.output = [tensor.name + "_out"]
    graph.node.append(node)
    var output = Onnx_ValueInfoProto()
    output.name = tensor.name + "_out"
    graph.output.append(output)
  }
  var model = Onnx_ModelProto()
  model.irVersion = irVersion
  var opset = Onnx_OperatorSetIdProto()
  opset.version = 17
  model.opsetImport = [opset]
  model.graph = graph
  return model
}

/// Serializes `message` into the file at `path`.
func writeMessage(_ message: some SwiftProtobuf.Message, to path: String) throws {
  try message.serializedData().write(to: URL(fileURLWithPath: path))
}

/// A protobuf varint.
func varint(_ value: UInt64) -> Data {
  var data = Data()
  var remaining = value
  while remaining >= 0x80 {
    data.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
    remaining >>= 7
  }
  data.append(UInt8(remaining))
  return data
}

/// A varint field with number `number` on the wire.
func varintField(_ number: Int, _ value: UInt64) -> Data {
  varint(UInt64(number << 3)) + varint(value)
}

/// A length-delimited field with number `number` on the wire.
func bytesField(_ number: Int, _ payload: Data) -> Data {
  varint(UInt64(number << 3 | 2)) + varint(UInt64(payload.count)) + payload
}

// MARK: - Errors

/// Runs `body`, expects a `KilnError` of kind `.badInput` with exit code 2, and returns it.
func expectBadInput(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> KilnError? {
  do {
    try body()
    Issue.record("expected a bad-input error, but nothing was thrown", sourceLocation: sourceLocation)
    return nil
  } catch let error as KilnError {
    #expect(error.kind == .badInput, "\(error)", sourceLocation: sourceLocation)
    #expect(error.exitCode == 2, sourceLocation: sourceLocation)
    return error
  } catch {
    Issue.record("expected a KilnError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    return nil
  }
}

/// Whether the error's text (file, node, message and hint) contains `text`.
func mentions(_ error: KilnError?, _ text: String) -> Bool {
  guard let error else { return false }
  return "\(error)".contains(text)
}
