// Importing node attributes and value types.

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
    case .typeProto: return .type(valueType(proto.tp))
    case .floats: return .floats(proto.floats)
    case .ints: return .ints(proto.ints)
    case .strings: return .strings(proto.strings)
    case .tensors: return .tensors(try proto.tensors.map(importTensor))
    case .graphs:
      return .graphs(try proto.graphs.map { try importGraph(GraphParts(message: $0), outer: scope) })
    case .sparseTensors:
      return .sparseTensors(try proto.sparseTensors.map { OpaqueMessage(try $0.serializedData()) })
    case .typeProtos: return .types(proto.typeProtos.map(valueType))
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

  func valueType(_ proto: Onnx_TypeProto) -> ValueType {
    switch proto.value {
    case .tensorType(let tensor):
      return .tensor(DataType(rawValue: tensor.elemType), tensor.hasShape ? shape(tensor.shape) : nil)
    case .sparseTensorType(let tensor):
      return .sparseTensor(
        DataType(rawValue: tensor.elemType), tensor.hasShape ? shape(tensor.shape) : nil)
    case .sequenceType(let sequence):
      return .sequence(sequence.hasElemType ? valueType(sequence.elemType) : nil)
    case .optionalType(let optional):
      return .optional(optional.hasElemType ? valueType(optional.elemType) : nil)
    case .mapType(let map):
      return .map(key: DataType(rawValue: map.keyType), value: map.hasValueType ? valueType(map.valueType) : nil)
    case .opaqueType(let opaque):
      return .opaque(domain: opaque.domain, name: opaque.name)
    case nil:
      return .unspecified
    }
  }

  func shape(_ proto: Onnx_TensorShapeProto) -> Shape {
    Shape(
      proto.dim.map { dim in
        switch dim.value {
        case .dimValue(let size): .fixed(size)
        case .dimParam(let name): .symbolic(name)
        case nil: .unknown
        }
      })
  }
}
