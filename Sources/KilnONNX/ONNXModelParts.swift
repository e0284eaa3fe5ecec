// Splitting a serialized ModelProto into small decoded messages and weight byte ranges.

import Foundation
import KilnIR
import ONNXProto
import SwiftProtobuf

/// A tensor message whose data bytes were not decoded: the header carries every other field.
struct TensorParts {
  var header: Onnx_TensorProto
  /// Where `raw_data` is, when the message has it.
  var rawData: TensorStorage?
}

/// A graph message split into its nodes, its initializers (with weights left in place) and a
/// message holding every other field.
struct GraphParts {
  var nodes: [Onnx_NodeProto] = []
  var initializers: [TensorParts] = []
  var rest = Onnx_GraphProto()
}

/// A model message split into its graph and a message holding every other field.
struct ModelParts {
  var graph: GraphParts
  var rest: Onnx_ModelProto
}

/// Scans ModelProto → GraphProto → TensorProto on the wire so that `raw_data` stays a slice of
/// the buffer; every smaller message is decoded by swift-protobuf.
struct ModelPartsScanner {
  let bytes: UnsafeRawBufferPointer
  /// Makes the storage for a byte range of `bytes` (a mapped slice, or a copy).
  let storage: (Range<Int>) -> TensorStorage

  func scanModel() throws -> ModelParts {
    var scanner = WireScanner(bytes, range: 0..<bytes.count)
    var restBytes = Data()
    var graphRange: Range<Int>?
    while let field = try scanner.next() {
      if field.number == 7 && field.wireType == 2 {
        graphRange = field.payload
      } else {
        restBytes.append(contentsOf: bytes[field.range])
      }
    }
    let rest = try decode(Onnx_ModelProto.self, restBytes, what: "model")
    guard let graphRange else {
      throw KilnError.badInput(
        "not an ONNX model: no graph found",
        hint: "the file parses as protobuf but is not a ModelProto")
    }
    return ModelParts(graph: try scanGraph(graphRange), rest: rest)
  }

  private func scanGraph(_ range: Range<Int>) throws -> GraphParts {
    var parts = GraphParts()
    var scanner = WireScanner(bytes, range: range)
    var restBytes = Data()
    while let field = try scanner.next() {
      switch (field.number, field.wireType) {
      case (1, 2): parts.nodes.append(try decode(Onnx_NodeProto.self, field.payload, what: "node"))
      case (5, 2): parts.initializers.append(try scanTensor(field.payload))
      default: restBytes.append(contentsOf: bytes[field.range])
      }
    }
    parts.rest = try decode(Onnx_GraphProto.self, restBytes, what: "graph")
    return parts
  }

  private func scanTensor(_ range: Range<Int>) throws -> TensorParts {
    var scanner = WireScanner(bytes, range: range)
    var headerBytes = Data()
    var raw: TensorStorage?
    while let field = try scanner.next() {
      if field.number == 9 && field.wireType == 2 {
        raw = storage(field.payload)
      } else {
        headerBytes.append(contentsOf: bytes[field.range])
      }
    }
    let header = try decode(Onnx_TensorProto.self, headerBytes, what: "initializer")
    return TensorParts(header: header, rawData: raw)
  }

  private func decode<M: SwiftProtobuf.Message>(
    _ type: M.Type, _ range: Range<Int>, what: String
  ) throws -> M {
    try decode(type, Data(bytes[range]), what: what)
  }

  private func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ data: Data, what: String) throws
    -> M
  {
    do {
      return try M(serializedBytes: data)
    } catch {
      throw KilnError.badInput(
        "not a valid ONNX model: cannot decode a \(what) message (\(error))",
        hint: "the file may be truncated, corrupt, or not an ONNX model")
    }
  }
}

extension GraphParts {
  /// Splits an already decoded graph message (a subgraph inside an attribute).
  init(message: Onnx_GraphProto) {
    nodes = message.node
    initializers = message.initializer.map { tensor in
      var header = tensor
      header.clearRawData()
      return TensorParts(header: header, rawData: tensor.hasRawData ? .bytes(tensor.rawData) : nil)
    }
    rest = message
    rest.node = []
    rest.initializer = []
  }
}
