// Raw ONNX protobuf messages built by hand: tensors, models, and fields on the wire.

import Foundation
import KilnIR
import ONNXProto
import SwiftProtobuf

extension Onnx_TensorProto {
  /// A tensor named `name` of `dataType` and `dims`, with `rawData` where given.
  public init(name: String, dataType: KilnIR.DataType, dims: [Int64], rawData: Data? = nil) {
    self.init()
    self.name = name
    self.dataType = dataType.rawValue
    self.dims = dims
    if let rawData { self.rawData = rawData }
  }
}

extension Onnx_NodeProto {
  /// A node running `opType` from `inputs` to `outputs`, with a name and domain where given.
  public init(
    opType: String, inputs: [String], outputs: [String], name: String? = nil, domain: String? = nil
  ) {
    self.init()
    self.opType = opType
    self.input = inputs
    self.output = outputs
    if let name { self.name = name }
    if let domain { self.domain = domain }
  }
}

/// A TensorProto of `count` float32 values kept in an external-data file at `location`.
public func externalTensorProto(
  _ name: String, count: Int, location: String, offset: Int64? = nil, length: Int64? = nil
) -> Onnx_TensorProto {
  var tensor = Onnx_TensorProto(name: name, dataType: .float, dims: [Int64(count)])
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
public func modelProto(initializers: [Onnx_TensorProto], irVersion: Int64 = 8) -> Onnx_ModelProto {
  var graph = Onnx_GraphProto()
  graph.name = "g"
  graph.initializer = initializers
  for tensor in initializers {
    graph.node.append(
      Onnx_NodeProto(opType: "Identity", inputs: [tensor.name], outputs: [tensor.name + "_out"]))
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
public func writeMessage(_ message: some SwiftProtobuf.Message, to path: String) throws {
  try message.serializedData().write(to: URL(fileURLWithPath: path))
}

/// A protobuf varint.
public func varint(_ value: UInt64) -> Data {
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
public func varintField(_ number: Int, _ value: UInt64) -> Data {
  varint(UInt64(number << 3)) + varint(value)
}

/// A length-delimited field with number `number` on the wire.
public func bytesField(_ number: Int, _ payload: Data) -> Data {
  varint(UInt64(number << 3 | 2)) + varint(UInt64(payload.count)) + payload
}
