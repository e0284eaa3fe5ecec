// Kernels that convert or replicate elements: Cast, CastLike, Expand.

import KilnIR

extension KernelFamily {
  /// Cast and CastLike between the numeric and bool types (floats to ints truncate toward
  /// zero; ints wrap like NumPy), and Expand (broadcast to a shape given as an input).
  static let castAndExpand = KernelFamily { registry in
    registry.register("Cast") { invocation in
      let target = DataType(rawValue: Int32(truncatingIfNeeded: invocation.int("to", default: 0)))
      return [try castTensor(try invocation.input(0), to: target, for: invocation)]
    }
    registry.register("CastLike") { invocation in
      let target = try invocation.input(1).dataType
      return [try castTensor(try invocation.input(0), to: target, for: invocation)]
    }
    registry.register("Expand", expandKernel)
  }

  private static func expandKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let shapeTensor = try invocation.input(1)
    guard shapeTensor.dataType == .int64, shapeTensor.rank == 1 else {
      throw invocation.failure("needs a 1-D int64 shape")
    }
    let shape = shapeTensor.scalars(as: Int64.self).map { Int(truncatingIfNeeded: $0) }
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw invocation.failure("shape \(shape) has a negative dimension")
    }
    return [
      try data.dataType.accept(ExpandVisitor(data: data, shape: shape, invocation: invocation))
    ]
  }
}

private struct ExpandVisitor: ElementVisitor {
  let data: HostTensor
  let shape: [Int]
  let invocation: KernelInvocation

  func visit<T: TensorElement>(_ type: T.Type) throws -> HostTensor {
    try broadcastExpand(data, to: shape, as: T.self, for: invocation)
  }
}

/// A value in transit between element types: the widest form of its kind.
enum CastValue {
  case signed(Int64)
  case unsigned(UInt64)
  case real(Double)
}

/// Element types that can be converted to and from any other.
protocol CastableElement: TensorElement {
  var castValue: CastValue { get }
  init(castValue: CastValue)
}

extension FixedWidthInteger {
  /// `value` converted with integer wrapping; floats truncate toward zero (NaN and infinities
  /// become 0, out-of-range values saturate to the Int64 range first).
  init(casting value: CastValue) {
    switch value {
    case .signed(let v): self.init(truncatingIfNeeded: v)
    case .unsigned(let v): self.init(truncatingIfNeeded: v)
    case .real(let v):
      if v.isNaN || v.isInfinite {
        self = 0
      } else if v >= 9.223372036854775807e18 {
        self.init(truncatingIfNeeded: v < 1.8446744073709551615e19 ? UInt64(v) : UInt64.max)
      } else {
        self.init(truncatingIfNeeded: v <= -9.223372036854775808e18 ? Int64.min : Int64(v))
      }
    }
  }
}

extension BinaryFloatingPoint {
  /// `value` rounded to the nearest representable value.
  init(casting value: CastValue) {
    switch value {
    case .signed(let v): self.init(v)
    case .unsigned(let v): self.init(v)
    case .real(let v): self.init(v)
    }
  }
}

extension Float: CastableElement {
  var castValue: CastValue { .real(Double(self)) }
  init(castValue: CastValue) { self.init(casting: castValue) }
}
extension Double: CastableElement {
  var castValue: CastValue { .real(self) }
  init(castValue: CastValue) { self.init(casting: castValue) }
}
extension Float16: CastableElement {
  var castValue: CastValue { .real(Double(self)) }
  init(castValue: CastValue) {
    // Through Float, as ONNX converts, so float32 values round once to half.
    if case .real(let v) = castValue { self.init(Float(v)) } else { self.init(casting: castValue) }
  }
}
extension Bool: CastableElement {
  var castValue: CastValue { .signed(self ? 1 : 0) }
  init(castValue: CastValue) {
    switch castValue {
    case .signed(let v): self = v != 0
    case .unsigned(let v): self = v != 0
    case .real(let v): self = v != 0
    }
  }
}

/// Signed integer element types.
protocol SignedCastable: CastableElement, FixedWidthInteger, SignedInteger {}
extension SignedCastable {
  var castValue: CastValue { .signed(Int64(self)) }
  init(castValue: CastValue) { self.init(casting: castValue) }
}
extension Int8: SignedCastable {}
extension Int16: SignedCastable {}
extension Int32: SignedCastable {}
extension Int64: SignedCastable {}

/// Unsigned integer element types.
protocol UnsignedCastable: CastableElement, FixedWidthInteger, UnsignedInteger {}
extension UnsignedCastable {
  var castValue: CastValue { .unsigned(UInt64(self)) }
  init(castValue: CastValue) { self.init(casting: castValue) }
}
extension UInt8: UnsignedCastable {}
extension UInt16: UnsignedCastable {}
extension UInt32: UnsignedCastable {}
extension UInt64: UnsignedCastable {}

/// Calls a generic function with the castable Swift type that stores a data type.
protocol CastVisitor {
  associatedtype Result
  func visit<T: CastableElement>(_ type: T.Type) throws -> Result
}

extension DataType {
  /// Runs `visitor` with the castable Swift type for this data type; throws otherwise.
  func acceptCast<V: CastVisitor>(_ visitor: V, for invocation: KernelInvocation) throws -> V.Result
  {
    switch self {
    case .float: try visitor.visit(Float.self)
    case .double: try visitor.visit(Double.self)
    case .float16: try visitor.visit(Float16.self)
    case .bool: try visitor.visit(Bool.self)
    case .int8: try visitor.visit(Int8.self)
    case .int16: try visitor.visit(Int16.self)
    case .int32: try visitor.visit(Int32.self)
    case .int64: try visitor.visit(Int64.self)
    case .uint8: try visitor.visit(UInt8.self)
    case .uint16: try visitor.visit(UInt16.self)
    case .uint32: try visitor.visit(UInt32.self)
    case .uint64: try visitor.visit(UInt64.self)
    default: throw invocation.failure("element type \(name) is not supported here")
    }
  }
}

/// `tensor` converted to `target`; the tensor itself when it already has that type.
func castTensor(
  _ tensor: HostTensor, to target: DataType, for invocation: KernelInvocation
) throws -> HostTensor {
  guard tensor.dataType != target else { return tensor }
  return try tensor.dataType.acceptCast(
    CastSource(tensor: tensor, target: target, invocation: invocation), for: invocation)
}

private struct CastSource: CastVisitor {
  let tensor: HostTensor
  let target: DataType
  let invocation: KernelInvocation

  func visit<S: CastableElement>(_ type: S.Type) throws -> HostTensor {
    try target.acceptCast(CastTarget<S>(tensor: tensor), for: invocation)
  }
}

private struct CastTarget<S: CastableElement>: CastVisitor {
  let tensor: HostTensor

  func visit<D: CastableElement>(_ type: D.Type) throws -> HostTensor {
    let result = try HostTensor(zeros: D.dataType, shape: tensor.shape)
    let source = tensor.elements(as: S.self)
    let out = result.mutableElements(as: D.self)
    for i in source.indices { out[i] = D(castValue: source[i].castValue) }
    return result
  }
}
