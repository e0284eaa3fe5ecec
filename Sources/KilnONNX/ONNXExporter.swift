// Turning IR back into ONNX messages, starting from each entity's original message.

import Foundation
import KilnIR
import ONNXProto

/// Builds ONNX messages from IR. Each message starts from the entity's original message (its
/// `origin`) when there is one, and a field is only assigned when the IR value differs from
/// what the original says: unchanged models come out equal to what came in, including fields
/// Kiln does not model, unknown fields, and the presence of fields set to their defaults.
struct ONNXExporter {
  func modelHeader(_ model: Model) -> Onnx_ModelProto {
    var proto = model.origin?.payload as? Onnx_ModelProto ?? Onnx_ModelProto()
    proto.clearGraph()
    patch(&proto, \.irVersion, model.irVersion)
    patch(&proto, \.producerName, model.producerName)
    patch(&proto, \.producerVersion, model.producerVersion)
    patch(&proto, \.domain, model.domain)
    patch(&proto, \.modelVersion, model.modelVersion)
    patch(&proto, \.docString, model.docString)
    let opsets = proto.opsetImport.map { OpsetImport(domain: $0.domain, version: $0.version) }
    if opsets != model.opsetImports {
      proto.opsetImport = model.opsetImports.map { opset in
        var entry = Onnx_OperatorSetIdProto()
        entry.domain = opset.domain
        entry.version = opset.version
        return entry
      }
    }
    patchMetadata(&proto.metadataProps, model.metadata)
    return proto
  }

  /// The graph as separately built nodes, initializer tensors, and a message with the rest.
  func graphPieces(_ graph: Graph) throws -> (nodes: [Onnx_NodeProto], initializers: [TensorPiece], rest: Onnx_GraphProto) {
    var rest = graph.origin?.payload as? Onnx_GraphProto ?? Onnx_GraphProto()
    patch(&rest, \.name, graph.name)
    patch(&rest, \.docString, graph.docString)
    patchMetadata(&rest.metadataProps, graph.metadata)
    rest.input = graph.inputs.map(valueInfo)
    rest.output = graph.outputs.map(valueInfo)
    rest.valueInfo = graph.annotatedValues.map(valueInfo)
    rest.sparseInitializer = try graph.sparseInitializers.map {
      try Onnx_SparseTensorProto(serializedBytes: $0.bytes)
    }
    let nodes = try graph.nodes.map(node)
    let initializers = try graph.initializers.map { value in
      guard let tensor = value.constant else {
        throw KilnError.internalError("initializer '\(value.name)' has no data")
      }
      return try tensorPiece(tensor, name: value.name)
    }
    return (nodes, initializers, rest)
  }

  /// A whole graph message with every tensor inline (for subgraphs).
  func graphMessage(_ graph: Graph) throws -> Onnx_GraphProto {
    var (nodes, initializers, message) = try graphPieces(graph)
    message.node = nodes
    message.initializer = try initializers.map { try $0.inlineMessage() }
    return message
  }

  func node(_ node: Node) throws -> Onnx_NodeProto {
    var proto = node.origin?.payload as? Onnx_NodeProto ?? Onnx_NodeProto()
    proto.input = node.inputs.map { $0?.name ?? "" }
    proto.output = node.outputs.map { $0?.name ?? "" }
    patch(&proto, \.name, node.name)
    patch(&proto, \.opType, node.opType)
    patch(&proto, \.domain, node.domain)
    patch(&proto, \.overload, node.overload)
    patch(&proto, \.docString, node.docString)
    patchMetadata(&proto.metadataProps, node.metadata)
    do {
      proto.attribute = try node.attributes.map(attribute)
    } catch let error as KilnError {
      var located = error
      located.node = located.node ?? node.name
      located.op = located.op ?? node.opType
      throw located
    }
    return proto
  }

  func valueInfo(_ value: Value) -> Onnx_ValueInfoProto {
    var proto = value.origin?.payload as? Onnx_ValueInfoProto ?? Onnx_ValueInfoProto()
    patch(&proto, \.name, value.name)
    patch(&proto, \.docString, value.docString)
    patchMetadata(&proto.metadataProps, value.metadata)
    let original: ValueType? = proto.hasType ? ValueType(proto.type) : nil
    if original != value.type {
      if let type = value.type { proto.type = Onnx_TypeProto(type) } else { proto.clearType() }
    }
    return proto
  }

  func patchMetadata(_ entries: inout [Onnx_StringStringEntryProto], _ metadata: [MetadataEntry]) {
    let current = entries.map { MetadataEntry(key: $0.key, value: $0.value) }
    guard current != metadata else { return }
    entries = metadata.map { item in
      var entry = Onnx_StringStringEntryProto()
      entry.key = item.key
      entry.value = item.value
      return entry
    }
  }
}

/// Assigns `value` to the field only when it differs from what the field reads now, so that an
/// absent field whose default equals the IR value stays absent.
func patch<Message, Field: Equatable>(
  _ message: inout Message, _ field: WritableKeyPath<Message, Field>, _ value: Field
) {
  if message[keyPath: field] != value { message[keyPath: field] = value }
}
