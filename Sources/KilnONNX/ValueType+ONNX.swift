// Converting value types between the IR and ONNX's TypeProto, both ways.

import KilnIR
import ONNXProto

extension ValueType {
  /// The IR form of an ONNX type.
  init(_ proto: Onnx_TypeProto) {
    switch proto.value {
    case .tensorType(let tensor):
      self = .tensor(DataType(rawValue: tensor.elemType), tensor.hasShape ? Shape(tensor.shape) : nil)
    case .sparseTensorType(let tensor):
      self = .sparseTensor(
        DataType(rawValue: tensor.elemType), tensor.hasShape ? Shape(tensor.shape) : nil)
    case .sequenceType(let sequence):
      self = .sequence(sequence.hasElemType ? ValueType(sequence.elemType) : nil)
    case .optionalType(let optional):
      self = .optional(optional.hasElemType ? ValueType(optional.elemType) : nil)
    case .mapType(let map):
      self = .map(
        key: DataType(rawValue: map.keyType), value: map.hasValueType ? ValueType(map.valueType) : nil)
    case .opaqueType(let opaque):
      self = .opaque(domain: opaque.domain, name: opaque.name)
    case nil:
      self = .unspecified
    }
  }
}

extension Shape {
  /// The IR form of an ONNX shape.
  init(_ proto: Onnx_TensorShapeProto) {
    self.init(
      proto.dim.map { dim in
        switch dim.value {
        case .dimValue(let size): .fixed(size)
        case .dimParam(let name): .symbolic(name)
        case nil: .unknown
        }
      })
  }
}

extension Onnx_TypeProto {
  /// The ONNX form of an IR type.
  init(_ type: ValueType) {
    self.init()
    switch type {
    case .tensor(let dataType, let shape):
      var tensor = Onnx_TypeProto.Tensor()
      tensor.elemType = dataType.rawValue
      if let shape { tensor.shape = Onnx_TensorShapeProto(shape) }
      tensorType = tensor
    case .sparseTensor(let dataType, let shape):
      var tensor = Onnx_TypeProto.SparseTensor()
      tensor.elemType = dataType.rawValue
      if let shape { tensor.shape = Onnx_TensorShapeProto(shape) }
      sparseTensorType = tensor
    case .sequence(let element):
      var sequence = Onnx_TypeProto.Sequence()
      if let element { sequence.elemType = Onnx_TypeProto(element) }
      sequenceType = sequence
    case .optional(let element):
      var optional = Onnx_TypeProto.Optional()
      if let element { optional.elemType = Onnx_TypeProto(element) }
      optionalType = optional
    case .map(let key, let value):
      var map = Onnx_TypeProto.Map()
      map.keyType = key.rawValue
      if let value { map.valueType = Onnx_TypeProto(value) }
      mapType = map
    case .opaque(let domain, let name):
      var opaque = Onnx_TypeProto.Opaque()
      opaque.domain = domain
      opaque.name = name
      opaqueType = opaque
    case .unspecified:
      break
    }
  }
}

extension Onnx_TensorShapeProto {
  /// The ONNX form of an IR shape.
  init(_ shape: Shape) {
    self.init()
    dim = shape.dims.map { dim in
      var entry = Onnx_TensorShapeProto.Dimension()
      switch dim {
      case .fixed(let size): entry.dimValue = size
      case .symbolic(let name): entry.dimParam = name
      case .unknown: break
      }
      return entry
    }
  }
}
