// Importing node attributes.

import Foundation
import KilnIR
import ONNXProto

extension ONNXImporter {
  func importAttribute(_ proto: Onnx_AttributeProto, scope: Scope) throws -> Attribute {
    let value: AttributeValue
    if proto.hasRefAttrName {
      value = .reference(proto.refAttrName, AttributeKind(rawValue: Int32(proto.type.rawValue)) ?? .undefined)
    } else {
      value = try attributeValue(proto, scope: scope)
    }
    var origin = proto
    origin.clearT()
    origin.clearG()
    origin.tensors = []
    origin.graphs = []
    return Attribute(proto.name, value, docString: proto.docString, origin: SourceRecord(origin))
  }

  private func attributeValue(_ proto: Onnx_AttributeProto, scope: Scope) throws -> AttributeValue {
    switch Self.kind(of: proto) {
    case .float: return .float(proto.f)
    case .int: return .int(proto.i)
    case .string: return .string(proto.s)
    case .tensor: return .tensor(try importTensor(proto.t))
    case .graph: return .graph(try importGraph(GraphParts(message: proto.g), outer: scope))
    case .sparseTensor: return .sparseTensor(OpaqueMessage(try proto.sparseTensor.serializedData()))
    case .typeProto: return .type(ValueType(proto.tp))
    case .floats: return .floats(proto.floats)
    case .ints: return .ints(proto.ints)
    case .strings: return .strings(proto.strings)
    case .tensors: return .tensors(try proto.tensors.map(importTensor))
    case .graphs:
      return .graphs(try proto.graphs.map { try importGraph(GraphParts(message: $0), outer: scope) })
    case .sparseTensors:
      return .sparseTensors(try proto.sparseTensors.map { OpaqueMessage(try $0.serializedData()) })
    case .typeProtos: return .types(proto.typeProtos.map(ValueType.init))
    case .undefined:
      throw KilnError.badInput("attribute '\(proto.name)' has no value", file: file)
    }
  }

  /// The attribute's kind: its `type` field, or for old models that omit it, the field set.
  static func kind(of proto: Onnx_AttributeProto) -> AttributeKind {
    if proto.hasType, let kind = AttributeKind(rawValue: Int32(proto.type.rawValue)), kind != .undefined {
      return kind
    }
    if proto.hasF { return .float }
    if proto.hasI { return .int }
    if proto.hasS { return .string }
    if proto.hasT { return .tensor }
    if proto.hasG { return .graph }
    if proto.hasSparseTensor { return .sparseTensor }
    if proto.hasTp { return .typeProto }
    if !proto.floats.isEmpty { return .floats }
    if !proto.ints.isEmpty { return .ints }
    if !proto.strings.isEmpty { return .strings }
    if !proto.tensors.isEmpty { return .tensors }
    if !proto.graphs.isEmpty { return .graphs }
    if !proto.sparseTensors.isEmpty { return .sparseTensors }
    if !proto.typeProtos.isEmpty { return .typeProtos }
    return .undefined
  }
}
