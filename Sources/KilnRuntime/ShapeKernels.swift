// Kernels that only change or report shapes, or build index-free tensors: Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, ConstantOfShape, Range.

import Foundation
import KilnIR

extension KernelFamily {
  /// Shape-only ops (Reshape, Flatten, Squeeze, Unsqueeze share the input's buffer), shape
  /// queries (Shape with start/end, Size), and generators (ConstantOfShape, Range).
  static let shapes = KernelFamily { registry in
    registry.register("Reshape", reshapeKernel)
    registry.register("Flatten", flattenKernel)
    registry.register("Squeeze", squeezeKernel)
    registry.register("Unsqueeze", unsqueezeKernel)
    registry.register("Shape", shapeKernel)
    registry.register("Size") { [try HostTensor(scalar: Int64(try $0.input(0).elementCount))] }
    registry.register("ConstantOfShape", constantOfShapeKernel)
    registry.register("Range", rangeKernel)
  }

  private static func reshapeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let requested: [Int]
    if invocation.opset < 5 {
      guard let shape = invocation.ints("shape") else {
        throw invocation.failure("needs a shape attribute")
      }
      requested = shape
    } else {
      requested = try invocation.intValues(of: invocation.input(1))
    }
    let allowZero = invocation.int("allowzero", default: 0) != 0
    let shape = try invocation.resolvedShape(requested, from: data.shape, allowZero: allowZero)
    return [try invocation.reshape(data, to: shape)]
  }

  private static func flattenKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let axis = try invocation.axis(
      invocation.int("axis", default: 1), rank: data.rank, inclusive: true)
    let outer = try HostTensor.elementCount(of: Array(data.shape[..<axis]))
    let inner = try HostTensor.elementCount(of: Array(data.shape[axis...]))
    return [try invocation.reshape(data, to: [outer, inner])]
  }

  private static func squeezeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    guard let axesList = try invocation.axesArgument(inputIndex: 1, sinceOpset: 13) else {
      return [try invocation.reshape(data, to: data.shape.filter { $0 != 1 })]
    }
    let axes = try invocation.uniqueAxes(axesList, rank: data.rank)
    for axis in axes where data.shape[axis] != 1 {
      throw invocation.failure("cannot squeeze axis \(axis) of size \(data.shape[axis])")
    }
    let shape = data.shape.indices.filter { !axes.contains($0) }.map { data.shape[$0] }
    return [try invocation.reshape(data, to: shape)]
  }

  private static func unsqueezeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    guard let axesList = try invocation.axesArgument(inputIndex: 1, sinceOpset: 13) else {
      throw invocation.failure("needs axes")
    }
    let rank = data.rank + axesList.count
    let axes = try invocation.uniqueAxes(axesList, rank: rank)
    var remaining = data.shape.makeIterator()
    let shape = (0..<rank).map { axes.contains($0) ? 1 : (remaining.next() ?? 1) }
    return [try invocation.reshape(data, to: shape)]
  }

  private static func shapeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let shape = try invocation.input(0).shape
    let rank = shape.count
    func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
    let start = clamp(invocation.int("start", default: 0))
    let end = clamp(invocation.int("end", default: rank))
    let dims = start < end ? shape[start..<end].map { Int64($0) } : []
    return [try HostTensor(shape: [dims.count], values: dims)]
  }

  private static func constantOfShapeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?]
  {
    let shape = try invocation.intValues(of: invocation.input(0))
    var value = try HostTensor(scalar: Float(0))
    if case .tensor(let tensor)? = invocation.node.attribute("value") {
      value = try HostTensor(tensor)
      guard value.elementCount == 1 else { throw invocation.failure("value must hold one element") }
    }
    let output = try HostTensor(zeros: value.dataType, shape: shape)
    try output.fill(with: value)
    return [output]
  }

  private static func rangeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let bounds = try (0..<3).map { try invocation.input($0) }
    guard bounds.allSatisfy({ $0.elementCount == 1 && $0.dataType == bounds[0].dataType }) else {
      throw invocation.failure("start, limit and delta must be scalars of one type")
    }
    let values = try bounds.map { try invocation.doubleValues(of: $0)[0] }
    let (start, limit, delta) = (values[0], values[1], values[2])
    guard delta != 0, start.isFinite, limit.isFinite, delta.isFinite else {
      throw invocation.failure("needs finite bounds and a nonzero delta")
    }
    let steps = ((limit - start) / delta).rounded(.up)
    guard steps < 1e12 else { throw invocation.failure("would produce too many elements") }
    let count = max(Int(steps), 0)
    let output = try HostTensor(zeros: bounds[0].dataType, shape: [count])
    try output.store((0..<count).map { start + Double($0) * delta }, invocation: invocation)
    return [output]
  }
}

extension KernelInvocation {
  /// The values of an int32 or int64 tensor as Ints.
  func intValues(of tensor: HostTensor) throws -> [Int] {
    switch tensor.dataType {
    case .int64: return tensor.elements(as: Int64.self).map { Int($0) }
    case .int32: return tensor.elements(as: Int32.self).map { Int($0) }
    default: throw failure("needs int32 or int64 indices, not \(tensor.dataType.name)")
    }
  }

  /// The values of a numeric or Boolean (0 and 1) tensor as Doubles.
  func doubleValues(of tensor: HostTensor) throws -> [Double] {
    guard let values = tensor.doubleValues() else {
      throw failure("element type \(tensor.dataType.name) is not supported by the runtime here")
    }
    return values
  }

  /// The one value of a numeric or Boolean tensor, called `name` in messages.
  func scalar(_ tensor: HostTensor, named name: String) throws -> Double {
    let values = try doubleValues(of: tensor)
    guard values.count == 1, let value = values.first else {
      throw failure("\(name) must hold one value, not \(values.count)")
    }
    return value
  }

  /// The one value of an int32 or int64 tensor, called `name` in messages.
  func scalarInteger(_ tensor: HostTensor, named name: String) throws -> Int {
    let values = try intValues(of: tensor)
    guard values.count == 1, let value = values.first else {
      throw failure("\(name) must hold one value, not \(values.count)")
    }
    return value
  }

  /// Axes made non-negative, refusing repeats.
  func uniqueAxes(_ axes: [Int], rank: Int) throws -> [Int] {
    let normalized = try axes.map { try axis($0, rank: rank) }
    guard Set(normalized).count == normalized.count else { throw failure("axes \(axes) repeat") }
    return normalized
  }

  /// An axes list that is an attribute before `sinceOpset` and input `inputIndex` from it on.
  func axesArgument(inputIndex: Int, sinceOpset: Int64) throws -> [Int]? {
    if opset < sinceOpset { return ints("axes") }
    return try optionalInput(inputIndex).map { try intValues(of: $0) }
  }

  /// A Reshape target with 0 (copy, unless `allowZero`) and -1 (infer) resolved.
  func resolvedShape(_ requested: [Int], from shape: [Int], allowZero: Bool) throws -> [Int] {
    var resolved = requested
    var inferred: Int?
    for (axis, dim) in requested.enumerated() {
      if dim == 0 && !allowZero {
        guard axis < shape.count else {
          throw failure("dimension \(axis) of 0 has nothing to copy")
        }
        resolved[axis] = shape[axis]
      } else if dim == -1 {
        guard inferred == nil else { throw failure("shape \(requested) has more than one -1") }
        inferred = axis
      } else if dim < 0 {
        throw failure("shape \(requested) has a negative dimension")
      }
    }
    guard let inferred else { return resolved }
    resolved[inferred] = 1
    let known = try HostTensor.elementCount(of: resolved)
    let total = try HostTensor.elementCount(of: shape)
    guard known > 0, total % known == 0 else {
      throw failure("cannot infer a dimension reshaping \(shape) to \(requested)")
    }
    resolved[inferred] = total / known
    return resolved
  }

  /// `tensor` under `shape`, with an error naming this node when the counts differ.
  func reshape(_ tensor: HostTensor, to shape: [Int]) throws -> HostTensor {
    guard try HostTensor.elementCount(of: shape) == tensor.elementCount else {
      throw failure("cannot reshape \(tensor.shape) to \(shape)")
    }
    return HostTensor(dataType: tensor.dataType, shape: shape, buffer: tensor.buffer)
  }
}

extension HostTensor {
  /// Bytes per element, for types the runtime supports.
  func elementSize() throws -> Int {
    guard dataType.elementType != nil else {
      throw KilnError.badInput("element type \(dataType.name) is not supported by the runtime here")
    }
    return dataType.bitWidth / 8
  }

  /// Sets every element of this (freshly made) tensor to the single element of `value`.
  func fill(with value: HostTensor) throws {
    let size = try elementSize()
    guard value.dataType == dataType, value.elementCount >= 1 else {
      throw KilnError.internalError("fill value does not match the tensor")
    }
    for index in 0..<elementCount {
      (buffer.pointer + index * size).copyMemory(from: value.buffer.pointer, byteCount: size)
    }
  }

  /// Writes `values`, converted to this tensor's numeric type (truncating toward zero for integers).
  func store(_ values: [Double], invocation: KernelInvocation) throws {
    struct Writer: NumericVisitor {
      let tensor: HostTensor
      let values: [Double]
      func visit<T: NumericElement>(_ type: T.Type) throws {
        let target = tensor.mutableElements(as: T.self)
        for (index, value) in values.enumerated() { target[index] = HostTensor.element(value) }
      }
    }
    try dataType.accept(Writer(tensor: self, values: values))
  }

  /// A numeric element as a Double.
  static func double<T: NumericElement>(_ value: T) -> Double {
    switch value {
    case let value as Float: Double(value)
    case let value as Double: value
    case let value as Float16: Double(Float(value))
    case let value as any BinaryInteger: Double(value)
    default: 0
    }
  }

  /// A Double as a numeric element (integers truncate toward zero and saturate).
  static func element<T: NumericElement>(_ value: Double) -> T {
    switch T.self {
    case is Float.Type: return Float(value) as? T ?? .zero
    case is Double.Type: return value as? T ?? .zero
    case is Float16.Type: return Float16(Float(value)) as? T ?? .zero
    default:
      guard let integer = T.self as? any FixedWidthInteger.Type else { return .zero }
      return saturated(value, integer) as? T ?? .zero
    }
  }

  private static func saturated<I: FixedWidthInteger>(_ value: Double, _ type: I.Type) -> I {
    if value.isNaN { return 0 }
    if value >= Double(I.max) { return I.max }
    if value <= Double(I.min) { return I.min }
    return I(value.rounded(.towardZero))
  }
}
