// Planning the bytes of an ONNX file before writing it, so that message lengths are known.

import Foundation
import KilnIR
import ONNXProto
import SwiftProtobuf

/// The serialized pieces of a model and their sizes. Protobuf puts each message's length
/// before its content, so the writer first encodes every small message and measures every
/// weight, then streams them in one pass. Fields are written in field-number order, as
/// protobuf's own serializers do, so an unchanged model comes out byte-identical.
struct ModelLayout {
  private var header: SplitMessage
  private var nodes: [Data]
  private var initializers: [TensorPiece]
  private var initializerHeaders: [SplitMessage] = []
  private var graphRest: SplitMessage

  /// Field numbers in ModelProto, GraphProto and TensorProto.
  private enum Field {
    static let modelGraph = 7
    static let graphNode = 1
    static let graphInitializer = 5
    static let tensorRawData = 9
  }

  init(model: Model) throws {
    let exporter = ONNXExporter()
    let (nodeProtos, pieces, rest) = try exporter.graphPieces(model.graph)
    header = try SplitMessage(exporter.modelHeader(model).serializedData(), before: Field.modelGraph)
    nodes = try nodeProtos.map { try $0.serializedData() }
    initializers = pieces
    graphRest = try SplitMessage(rest.serializedData(), before: Field.graphInitializer)
    try encodeInitializerHeaders()
  }

  private mutating func encodeInitializerHeaders() throws {
    initializerHeaders = try initializers.map {
      try SplitMessage($0.header.serializedData(), before: Field.tensorRawData)
    }
  }

  /// The size of the model file with the current placement.
  var totalSize: Int64 {
    let graph = graphSize
    return Int64(header.count) + Int64(WireEncoding.lengthDelimitedHeaderSize(field: Field.modelGraph, length: graph)) + Int64(graph)
  }

  private var graphSize: Int {
    var size = graphRest.count
    for node in nodes { size += fieldSize(Field.graphNode, node.count) }
    for index in initializers.indices { size += fieldSize(Field.graphInitializer, tensorSize(index)) }
    return size
  }

  private func tensorSize(_ index: Int) -> Int {
    let piece = initializers[index]
    var size = initializerHeaders[index].count
    if piece.rawSource != nil && !piece.isExternal { size += fieldSize(Field.tensorRawData, piece.rawLength) }
    return size
  }

  private func fieldSize(_ field: Int, _ length: Int) -> Int {
    WireEncoding.lengthDelimitedHeaderSize(field: field, length: length) + length
  }

  /// Moves large tensors to an external file when the options or the 2 GB limit ask for it.
  /// Returns the external file's path and tensor count, or nil when everything stays inline.
  mutating func placeExternalData(options: ONNXWriteOptions, modelPath: String) throws -> (path: String, count: Int)? {
    let inputWasExternal = initializers.contains { $0.rawSource?.isExternal == true }
    let wanted: Bool
    switch options.externalData {
    case .always: wanted = true
    case .never: wanted = false
    case .automatic: wanted = inputWasExternal || totalSize > ONNXModelWriter.protobufLimit
    }
    guard wanted else {
      guard totalSize <= ONNXModelWriter.protobufLimit else {
        throw KilnError.badInput(
          "the model is \(totalSize) bytes, over protobuf's 2 GB limit",
          hint: "write it with external data (--external-data)")
      }
      return nil
    }
    let modelURL = URL(fileURLWithPath: modelPath)
    let location = options.externalDataLocation ?? modelURL.lastPathComponent + ".data"
    guard !location.contains("/"), location != modelURL.lastPathComponent else {
      throw KilnError.badInput(
        "external data file name '\(location)' must be a plain file name other than the model's")
    }
    var offset: Int64 = 0
    var count = 0
    for index in initializers.indices {
      let length = Int64(initializers[index].rawLength)
      guard initializers[index].rawSource != nil, length >= options.sizeThreshold else { continue }
      offset = Self.aligned(offset, length: length)
      initializers[index].moveToExternal(location: location, offset: offset)
      offset += length
      count += 1
    }
    try encodeInitializerHeaders()
    guard totalSize <= ONNXModelWriter.protobufLimit else {
      throw KilnError.badInput(
        "even with external data the model is \(totalSize) bytes, over protobuf's 2 GB limit",
        hint: "lower the external-data size threshold")
    }
    return (modelURL.deletingLastPathComponent().appendingPathComponent(location).path, count)
  }

  /// Page-aligns large tensors so a reader can map them; small ones are aligned to 64 bytes.
  private static func aligned(_ offset: Int64, length: Int64) -> Int64 {
    let alignment = alignment(for: length)
    return (offset + alignment - 1) / alignment * alignment
  }

  /// How much of a tensor's mapped bytes may be resident at once while it is written out.
  private static let streamingChunkBytes = 16 << 20

  private static func alignment(for length: Int64) -> Int64 {
    length >= 1 << 20 ? 4096 : 64
  }

  /// Streams the external tensors' bytes, in the order and at the offsets planned.
  func writeExternalData(to file: AtomicOutputFile) throws {
    for piece in initializers where piece.isExternal {
      guard let source = piece.rawSource else { continue }
      try file.pad(toMultipleOf: Self.alignment(for: Int64(piece.rawLength)))
      try source.forEachRawChunk(of: Self.streamingChunkBytes) { try file.write($0) }
    }
  }

  /// Streams the model message.
  func writeModel(to sink: ByteSink) throws {
    try sink.write(header.low)
    try writeFieldHeader(Field.modelGraph, graphSize, to: sink)
    for node in nodes {
      try writeFieldHeader(Field.graphNode, node.count, to: sink)
      try sink.write(node)
    }
    try sink.write(graphRest.low)
    for index in initializers.indices {
      try writeFieldHeader(Field.graphInitializer, tensorSize(index), to: sink)
      try sink.write(initializerHeaders[index].low)
      let piece = initializers[index]
      if let source = piece.rawSource, !piece.isExternal {
        try writeFieldHeader(Field.tensorRawData, piece.rawLength, to: sink)
        try source.forEachRawChunk(of: Self.streamingChunkBytes) { try sink.write($0) }
      }
      try sink.write(initializerHeaders[index].high)
    }
    try sink.write(graphRest.high)
    try sink.write(header.high)
  }

  private func writeFieldHeader(_ field: Int, _ length: Int, to sink: ByteSink) throws {
    var bytes = Data()
    WireEncoding.appendLengthDelimitedHeader(field: field, length: length, to: &bytes)
    try sink.write(bytes)
  }
}

/// A serialized message cut in two: the fields numbered below a given field, and the rest, so
/// that a field written separately (a graph, the nodes, raw tensor bytes) can go between them.
struct SplitMessage {
  var low = Data()
  var high = Data()

  init(_ serialized: Data, before field: Int) throws {
    try serialized.withUnsafeBytes { bytes in
      var scanner = WireScanner(bytes, range: 0..<bytes.count)
      while let next = try scanner.next() {
        if next.number < field {
          low.append(contentsOf: bytes[next.range])
        } else {
          high.append(contentsOf: bytes[next.range])
        }
      }
    }
  }

  var count: Int { low.count + high.count }
}
