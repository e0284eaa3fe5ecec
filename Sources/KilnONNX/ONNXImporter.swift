// Turning decoded ONNX messages into the IR: models, graphs with scopes, nodes and values.

import Foundation
import KilnIR
import ONNXProto

/// Builds IR from the parts of an ONNX model. Value names are resolved through nested scopes,
/// so subgraphs read values of their enclosing graphs as the same IR `Value` objects.
struct ONNXImporter {
  let resolver: ExternalDataResolver
  var file: String { resolver.modelPath }

  func importModel(_ parts: ModelParts) throws -> Model {
    let rest = parts.rest
    guard rest.hasIrVersion else {
      throw KilnError.badInput(
        "not an ONNX model: ir_version is missing",
        hint: "the file parses as protobuf but is not a ModelProto")
    }
    let graph = try importGraph(parts.graph, outer: nil)
    var origin = rest
    origin.clearGraph()
    return Model(
      irVersion: rest.irVersion,
      opsetImports: rest.opsetImport.map { OpsetImport(domain: $0.domain, version: $0.version) },
      producerName: rest.producerName, producerVersion: rest.producerVersion,
      domain: rest.domain, modelVersion: rest.modelVersion, docString: rest.docString,
      metadata: metadata(rest.metadataProps), graph: graph, origin: SourceRecord(origin))
  }

  func importGraph(_ parts: GraphParts, outer: Scope?) throws -> Graph {
    let scope = Scope(parent: outer)
    let rest = parts.rest
    let graph = Graph(
      name: rest.name, docString: rest.docString, metadata: metadata(rest.metadataProps),
      sparseInitializers: try rest.sparseInitializer.map { OpaqueMessage(try $0.serializedData()) })
    graph.inputs = try rest.input.map { info in
      let value = makeValue(info)
      try scope.define(value, file: file)
      return value
    }
    graph.initializers = try parts.initializers.map { try importInitializer($0, scope: scope) }
    try declareNodeOutputs(parts.nodes, in: scope)
    for proto in parts.nodes {
      graph.append(try importNode(proto, scope: scope))
    }
    // ONNX requires topological order, but some exporters write nodes out of order.
    if !graph.sortTopologically() {
      throw KilnError.badInput(
        "the nodes of graph '\(rest.name)' form a cycle", file: file,
        hint: "a value feeds, directly or indirectly, the node that produces it")
    }
    graph.outputs = try rest.output.map { info in
      guard let value = scope.lookup(info.name) else {
        throw KilnError.badInput(
          "graph '\(rest.name)' output '\(info.name)' is not produced by any node, input or initializer",
          file: file)
      }
      annotate(value, with: info)
      return value
    }
    graph.annotatedValues = rest.valueInfo.map { info in
      guard let value = scope.lookupLocal(info.name) else { return makeValue(info) }
      annotate(value, with: info)
      return value
    }
    var origin = rest
    origin.input = []
    origin.output = []
    origin.valueInfo = []
    origin.sparseInitializer = []
    graph.origin = SourceRecord(origin)
    return graph
  }

  private func importInitializer(_ parts: TensorParts, scope: Scope) throws -> Value {
    let tensor = try importTensor(parts)
    if let input = scope.lookupLocal(tensor.name), input.producer == nil, input.constant == nil {
      input.constant = tensor
      return input
    }
    let value = Value(name: tensor.name, constant: tensor)
    try scope.define(value, file: file)
    return value
  }

  /// Creates every node output up front, so that inputs resolve even when a file lists nodes
  /// out of order and subgraphs can capture any value of this graph.
  private func declareNodeOutputs(_ nodes: [Onnx_NodeProto], in scope: Scope) throws {
    for node in nodes {
      for name in node.output where !name.isEmpty {
        guard scope.lookupLocal(name) == nil else {
          throw KilnError.badInput(
            "value '\(name)' is defined twice (each value may have one producer)", file: file,
            node: node.name, op: node.opType)
        }
        scope.declare(Value(name: name))
      }
    }
  }

  private func importNode(_ proto: Onnx_NodeProto, scope: Scope) throws -> Node {
    let inputs: [Value?] = try proto.input.map { name in
      if name.isEmpty { return nil }
      guard let value = scope.lookup(name) else {
        throw KilnError.badInput(
          "input '\(name)' is not produced by any node, graph input or initializer", file: file,
          node: proto.name, op: proto.opType)
      }
      return value
    }
    let outputs: [Value?] = proto.output.map { $0.isEmpty ? nil : scope.lookupLocal($0) }
    let attributes = try proto.attribute.map { attribute in
      do {
        return try importAttribute(attribute, scope: scope)
      } catch let error as KilnError {
        var located = error
        if located.node == nil { located.node = proto.name; located.op = proto.opType }
        throw located.inFile(file)
      }
    }
    var origin = proto
    origin.attribute = []
    return Node(
      name: proto.name, opType: proto.opType, domain: proto.domain, overload: proto.overload,
      inputs: inputs, outputs: outputs, attributes: attributes, docString: proto.docString,
      metadata: metadata(proto.metadataProps), origin: SourceRecord(origin))
  }

  func makeValue(_ info: Onnx_ValueInfoProto) -> Value {
    Value(
      name: info.name, type: info.hasType ? ValueType(info.type) : nil, docString: info.docString,
      metadata: metadata(info.metadataProps), origin: SourceRecord(info))
  }

  /// Gives a value declared by a node output the type, doc and origin of its value info.
  private func annotate(_ value: Value, with info: Onnx_ValueInfoProto) {
    guard value.origin == nil else { return }
    if info.hasType { value.type = ValueType(info.type) }
    value.docString = info.docString
    value.metadata = metadata(info.metadataProps)
    value.origin = SourceRecord(info)
  }

  func metadata(_ entries: [Onnx_StringStringEntryProto]) -> [MetadataEntry] {
    entries.map { MetadataEntry(key: $0.key, value: $0.value) }
  }
}

/// The names visible in one graph, and through `parent`, in its enclosing graphs.
final class Scope {
  let parent: Scope?
  private var values: [String: Value] = [:]

  init(parent: Scope?) { self.parent = parent }

  /// Adds a value; a second value of the same name in this scope is an error.
  func define(_ value: Value, file: String) throws {
    guard values[value.name] == nil else {
      throw KilnError.badInput("value '\(value.name)' is declared twice in one graph", file: file)
    }
    values[value.name] = value
  }

  /// Adds a value known to be new.
  func declare(_ value: Value) { values[value.name] = value }

  func lookupLocal(_ name: String) -> Value? { values[name] }

  func lookup(_ name: String) -> Value? { values[name] ?? parent?.lookup(name) }
}
