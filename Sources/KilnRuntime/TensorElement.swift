// The Swift types that runtime tensors hold, and dispatch from a DataType to one of them.

import KilnIR

/// A Swift type that is the element type of some ONNX tensor type.
public protocol TensorElement: Sendable {
  /// The ONNX element type this Swift type stores.
  static var dataType: DataType { get }
  /// The zero of the type (false for Bool).
  static var zero: Self { get }
}

extension Float: TensorElement {
  public static var dataType: DataType { .float }
}
extension Double: TensorElement {
  public static var dataType: DataType { .double }
}
extension Float16: TensorElement {
  public static var dataType: DataType { .float16 }
}
extension Int8: TensorElement {
  public static var dataType: DataType { .int8 }
}
extension UInt8: TensorElement {
  public static var dataType: DataType { .uint8 }
}
extension Int16: TensorElement {
  public static var dataType: DataType { .int16 }
}
extension UInt16: TensorElement {
  public static var dataType: DataType { .uint16 }
}
extension Int32: TensorElement {
  public static var dataType: DataType { .int32 }
}
extension UInt32: TensorElement {
  public static var dataType: DataType { .uint32 }
}
extension Int64: TensorElement {
  public static var dataType: DataType { .int64 }
}
extension UInt64: TensorElement {
  public static var dataType: DataType { .uint64 }
}
extension Bool: TensorElement {
  public static var dataType: DataType { .bool }
  public static var zero: Bool { false }
}

/// Numeric element types: what arithmetic kernels are written over.
public protocol NumericElement: TensorElement, Numeric, Comparable {}
extension Float: NumericElement {}
extension Double: NumericElement {}
extension Float16: NumericElement {}
extension Int8: NumericElement {}
extension UInt8: NumericElement {}
extension Int16: NumericElement {}
extension UInt16: NumericElement {}
extension Int32: NumericElement {}
extension UInt32: NumericElement {}
extension Int64: NumericElement {}
extension UInt64: NumericElement {}

/// Calls a generic function with the Swift type that stores `dataType`.
public protocol ElementVisitor {
  associatedtype Result
  func visit<T: TensorElement>(_ type: T.Type) throws -> Result
}

/// Calls a generic function with the numeric Swift type that stores `dataType`.
public protocol NumericVisitor {
  associatedtype Result
  func visit<T: NumericElement>(_ type: T.Type) throws -> Result
}

extension DataType {
  /// The numeric Swift type for this data type, if it has one.
  var numericType: (any NumericElement.Type)? {
    switch self {
    case .float: Float.self
    case .double: Double.self
    case .float16: Float16.self
    case .int8: Int8.self
    case .uint8: UInt8.self
    case .int16: Int16.self
    case .uint16: UInt16.self
    case .int32: Int32.self
    case .uint32: UInt32.self
    case .int64: Int64.self
    case .uint64: UInt64.self
    default: nil
    }
  }

  /// The Swift type for this data type, if the runtime supports it.
  var elementType: (any TensorElement.Type)? {
    self == .bool ? Bool.self : numericType
  }

  /// Runs `visitor` with the Swift type for this data type; throws for unsupported types.
  public func accept<V: ElementVisitor>(_ visitor: V) throws -> V.Result {
    self == .bool ? try visitor.visit(Bool.self) : try accept(NumericAdapter(base: visitor))
  }

  /// Runs `visitor` with the numeric Swift type for this data type; throws otherwise. Each
  /// type is named statically so that the visitor's generic code is specialized per type
  /// (an opened existential would run every element through witness tables).
  public func accept<V: NumericVisitor>(_ visitor: V) throws -> V.Result {
    switch self {
    case .float: try visitor.visit(Float.self)
    case .double: try visitor.visit(Double.self)
    case .float16: try visitor.visit(Float16.self)
    case .int8: try visitor.visit(Int8.self)
    case .uint8: try visitor.visit(UInt8.self)
    case .int16: try visitor.visit(Int16.self)
    case .uint16: try visitor.visit(UInt16.self)
    case .int32: try visitor.visit(Int32.self)
    case .uint32: try visitor.visit(UInt32.self)
    case .int64: try visitor.visit(Int64.self)
    case .uint64: try visitor.visit(UInt64.self)
    default: throw unsupported()
    }
  }

  private func unsupported() -> KilnError {
    KilnError.badInput("element type \(name) is not supported by the runtime here")
  }
}

/// An element visitor run over the numeric types.
private struct NumericAdapter<Base: ElementVisitor>: NumericVisitor {
  let base: Base
  func visit<T: NumericElement>(_ type: T.Type) throws -> Base.Result { try base.visit(type) }
}
