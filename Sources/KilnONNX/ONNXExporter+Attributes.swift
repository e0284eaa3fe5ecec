// Exporting node attributes, reusing the original message when the value is unchanged.

import Foundation
import KilnIR
import ONNXProto

extension ONNXExporter {
  func attribute(_ attribute: Attribute) throws -> Onnx_AttributeProto {
    let fresh = try freshAttribute(attribute)
    guard var proto = attribute.origin?.payload as? Onnx_AttributeProto else { return fresh }
    // The origin was stored without tensors and graphs; restore them from the fresh encoding.
    if fresh.hasT { proto.t = fresh.t }
    if fresh.hasG { proto.g = fresh.g }
    proto.tensors = fresh.tensors
    proto.graphs = fresh.graphs
    guard Self.sameValue(proto, fresh) else { return fresh }
    patch(&proto, \.name, attribute.name)
    patch(&proto, \.docString, attribute.docString)
    return proto
  }

  private func freshAttribute(_ attribute: Attribute) throws -> Onnx_AttributeProto {
    var proto = Onnx_AttributeProto()
    proto.name = attribute.name
    if !attribute.docString.isEmpty { proto.docString = attribute.docString }
    proto.type = Onnx_AttributeProto.AttributeType(rawValue: Int(attribute.value.kind.rawValue)) ?? .undefined
    switch attribute.value {
    case .float(let value): proto.f = value
    case .int(let value): proto.i = value
    case .string(let value): proto.s = value
    case .tensor(let tensor): proto.t = try tensorPiece(tensor, name: tensor.name).inlineMessage()
    case .graph(let graph): proto.g = try graphMessage(graph)
    case .sparseTensor(let message): proto.sparseTensor = try sparse(message)
    case .type(let type): proto.tp = Onnx_TypeProto(type)
    case .floats(let values): proto.floats = values
    case .ints(let values): proto.ints = values
    case .strings(let values): proto.strings = values
    case .tensors(let tensors):
      proto.tensors = try tensors.map { try tensorPiece($0, name: $0.name).inlineMessage() }
    case .graphs(let graphs): proto.graphs = try graphs.map(graphMessage)
    case .sparseTensors(let messages): proto.sparseTensors = try messages.map(sparse)
    case .types(let types): proto.typeProtos = types.map(Onnx_TypeProto.init)
    case .reference(let name, _): proto.refAttrName = name
    }
    return proto
  }

  private func sparse(_ message: OpaqueMessage) throws -> Onnx_SparseTensorProto {
    try Onnx_SparseTensorProto(serializedBytes: message.bytes)
  }

  /// Whether two attribute messages carry the same value (their `type` may differ only by
  /// being omitted, as old models do).
  static func sameValue(_ a: Onnx_AttributeProto, _ b: Onnx_AttributeProto) -> Bool {
    a.f.bitPattern == b.f.bitPattern && a.i == b.i && a.s == b.s && a.t == b.t && a.g == b.g
      && a.sparseTensor == b.sparseTensor && a.tp == b.tp
      && a.floats.map(\.bitPattern) == b.floats.map(\.bitPattern) && a.ints == b.ints
      && a.strings == b.strings && a.tensors == b.tensors && a.graphs == b.graphs
      && a.sparseTensors == b.sparseTensors && a.typeProtos == b.typeProtos
      && a.refAttrName == b.refAttrName
      && ONNXImporter.kind(of: a) == ONNXImporter.kind(of: b)
  }
}
