// A dense tensor in host memory: what kernels read and write.

import Foundation
import KilnIR

/// A dense, row-major tensor in host memory, as the executor passes it between kernels.
/// Copies share the buffer; kernels never write to a tensor they did not create.
public struct HostTensor: @unchecked Sendable {
  public let dataType: DataType
  public let shape: [Int]
  public let buffer: TensorBuffer

  /// A zero-filled tensor. Throws when the shape is negative, overflows, or cannot be allocated.
  public init(zeros dataType: DataType, shape: [Int]) throws {
    try self.init(dataType, shape: shape, zeroed: true)
  }

  /// A tensor whose elements are not initialized: only for a kernel that writes every one.
  public init(uninitialized dataType: DataType, shape: [Int]) throws {
    try self.init(dataType, shape: shape, zeroed: false)
  }

  private init(_ dataType: DataType, shape: [Int], zeroed: Bool) throws {
    let count = try Self.elementCount(of: shape)
    guard let bytes = dataType.byteCount(elements: Int64(count)) else {
      throw KilnError.badInput("element type \(dataType.name) is not supported by the runtime")
    }
    self.dataType = dataType
    self.shape = shape
    self.buffer = try TensorBuffer(byteCount: Int(bytes), zeroed: zeroed)
  }

  /// A tensor over an existing buffer, which must be large enough.
  public init(dataType: DataType, shape: [Int], buffer: TensorBuffer) {
    self.dataType = dataType
    self.shape = shape
    self.buffer = buffer
  }

  /// A tensor holding `values` in row-major order.
  public init<T: TensorElement>(shape: [Int], values: [T]) throws {
    try self.init(zeros: T.dataType, shape: shape)
    guard values.count == elementCount else {
      throw KilnError.internalError("\(values.count) values for shape \(shape)")
    }
    values.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
  }

  /// A scalar.
  public init<T: TensorElement>(scalar: T) throws {
    try self.init(shape: [], values: [scalar])
  }

  /// The number of elements.
  public var elementCount: Int { shape.reduce(1, *) }

  /// The rank.
  public var rank: Int { shape.count }

  /// The elements as `T`, which must be this tensor's element type.
  public func elements<T: TensorElement>(as type: T.Type) -> UnsafeBufferPointer<T> {
    precondition(T.dataType == dataType, "reading \(dataType.name) tensor as \(T.dataType.name)")
    return UnsafeBufferPointer(
      start: buffer.pointer.assumingMemoryBound(to: T.self), count: elementCount)
  }

  /// The elements as `T`, for writing; only for tensors the caller created.
  public func mutableElements<T: TensorElement>(as type: T.Type) -> UnsafeMutableBufferPointer<T> {
    precondition(T.dataType == dataType, "writing \(dataType.name) tensor as \(T.dataType.name)")
    return UnsafeMutableBufferPointer(
      start: buffer.pointer.assumingMemoryBound(to: T.self), count: elementCount)
  }

  /// A copy of the elements as an array.
  public func scalars<T: TensorElement>(as type: T.Type) -> [T] {
    Array(elements(as: type))
  }

  /// The same elements under another shape with the same element count.
  public func reshaped(_ newShape: [Int]) throws -> HostTensor {
    guard try Self.elementCount(of: newShape) == elementCount else {
      throw KilnError.badInput("cannot reshape \(shape) to \(newShape)")
    }
    return HostTensor(dataType: dataType, shape: newShape, buffer: buffer)
  }

  /// Row-major strides, in elements.
  public var strides: [Int] { Self.strides(of: shape) }

  /// Row-major strides of `shape`, in elements.
  public static func strides(of shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in shape.indices.reversed() {
      strides[axis] = running
      running *= shape[axis]
    }
    return strides
  }

  /// Steps a row-major multi-index by one.
  static func advance(_ index: inout [Int], within shape: [Int]) {
    var axis = shape.count - 1
    while axis >= 0 {
      index[axis] += 1
      if index[axis] < shape[axis] { return }
      index[axis] = 0
      axis -= 1
    }
  }

  /// The element count of `shape`, checking for negative dims and overflow.
  public static func elementCount(of shape: [Int]) throws -> Int {
    var count = 1
    for dim in shape {
      guard dim >= 0 else { throw KilnError.badInput("negative dimension in shape \(shape)") }
      let (product, overflow) = count.multipliedReportingOverflow(by: dim)
      guard !overflow, product <= Int.max / 16 else {
        throw KilnError.badInput("shape \(shape) has too many elements")
      }
      count = product
    }
    return count
  }
}

extension HostTensor {
  /// The runtime form of an IR constant. Weights whose bytes are suitably aligned in a mapped
  /// file are borrowed, not copied.
  public init(_ tensor: Tensor) throws {
    let shape = tensor.dims.map { Int($0) }
    guard tensor.dataType.elementType != nil else {
      throw KilnError.badInput(
        "constant '\(tensor.name)' has element type \(tensor.dataType.name), which the runtime does not support")
    }
    try tensor.validateSize()
    if case .mapped(let file, let range) = tensor.storage, range.lowerBound % 64 == 0 {
      let buffer = file.withBytes(in: range) { bytes in
        TensorBuffer(borrowing: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!, byteCount: bytes.count, owner: file)
      }
      self.init(dataType: tensor.dataType, shape: shape, buffer: buffer)
      return
    }
    // validateSize checked that the bytes fill the tensor exactly.
    try self.init(uninitialized: tensor.dataType, shape: shape)
    let target = buffer
    try tensor.withRawBytes { bytes in
      if let base = bytes.baseAddress { target.pointer.copyMemory(from: base, byteCount: bytes.count) }
    }
  }
}
