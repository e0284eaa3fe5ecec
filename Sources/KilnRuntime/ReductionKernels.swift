// Reductions over axes (ReduceSum, ReduceMean, ... ) and ArgMax/ArgMin, on one shared walker.

import Foundation
import KilnIR

extension KernelFamily {
  /// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
  /// ReduceLogSumExp, ReduceSumSquare (axes as attribute before opset 13 for ReduceSum and 18 for
  /// the rest, as an optional input after; keepdims; noop_with_empty_axes), and ArgMax/ArgMin
  /// (axis, keepdims, select_last_index).
  static let reductions = KernelFamily { registry in
    for (op, reduction) in Reduction.all {
      registry.register(op) { try reduceKernel($0, reduction, axesInputOpset: op == "ReduceSum" ? 13 : 18) }
    }
    registry.register("ArgMax") { try argKernel($0, pickLarger: true) }
    registry.register("ArgMin") { try argKernel($0, pickLarger: false) }
  }

  private static func reduceKernel(
    _ invocation: KernelInvocation, _ reduction: Reduction, axesInputOpset: Int64
  ) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let keepDims = invocation.int("keepdims", default: 1) != 0
    let axes = invocation.opset >= axesInputOpset
      ? try invocation.optionalInput(1).map { try $0.integers(invocation) } ?? []
      : invocation.ints("axes") ?? []
    // Empty axes mean all axes, unless noop_with_empty_axes: then each element is its own
    // group, so ReduceL1 still takes |x| and ReduceSumSquare x², as onnxruntime does.
    let noop = invocation.int("noop_with_empty_axes", default: 0) != 0
    let walker = try ReductionWalker(
      shape: data.shape, axes: axes.isEmpty && !noop ? Array(data.shape.indices) : axes, invocation: invocation)
    let values = try invocation.doubleValues(of: data)
    let reduced = reduction.apply(values, walker)
    let shape = keepDims ? walker.keptShape : walker.droppedShape
    return [try HostTensor.narrowing(reduced, to: data.dataType, shape: shape)]
  }

  private static func argKernel(_ invocation: KernelInvocation, pickLarger: Bool) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let axis = try invocation.axis(invocation.int("axis", default: 0), rank: data.rank)
    guard data.shape[axis] > 0 else { throw invocation.failure("cannot take an arg over an empty axis") }
    let keepDims = invocation.int("keepdims", default: 1) != 0
    let preferLast = invocation.int("select_last_index", default: 0) != 0
    let walker = try ReductionWalker(shape: data.shape, axes: [axis], invocation: invocation)
    let values = try invocation.doubleValues(of: data)
    var best = [Double](repeating: .nan, count: walker.outputCount)
    var index = [Int64](repeating: -1, count: walker.outputCount)
    let length = data.shape[axis], inner = walker.inputStrides[axis]
    for (position, (value, target)) in zip(values, walker.outputIndex).enumerated() {
      let along = Int64((position / inner) % length)
      let current = best[target]
      let better = pickLarger ? value > current : value < current
      if index[target] < 0 || better || (preferLast && value == current) {
        best[target] = value
        index[target] = along
      }
    }
    return [try HostTensor(shape: keepDims ? walker.keptShape : walker.droppedShape, values: index)]
  }
}

/// For a tensor of `shape` reduced over `axes`: the reduced shapes and, for each input element
/// in row-major order, the flat index of the output element it reduces into.
struct ReductionWalker {
  let keptShape: [Int]
  let droppedShape: [Int]
  let inputStrides: [Int]
  let outputIndex: [Int]
  /// How many input elements reduce into each output element.
  let groupSize: Int

  var outputCount: Int { keptShape.reduce(1, *) }

  init(shape: [Int], axes: [Int], invocation: KernelInvocation) throws {
    let reduced = Set(try axes.map { try invocation.axis($0, rank: shape.count) })
    keptShape = shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
    droppedShape = shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
    inputStrides = HostTensor.strides(of: shape)
    groupSize = reduced.reduce(1) { $0 * shape[$1] }
    let outputStrides = HostTensor.strides(of: keptShape).enumerated().map { reduced.contains($0) ? 0 : $1 }
    outputIndex = Self.mapping(shape: shape, outputStrides: outputStrides)
  }

  /// Walks the input's multi-index in row-major order, tracking the output offset.
  private static func mapping(shape: [Int], outputStrides: [Int]) -> [Int] {
    let count = shape.reduce(1, *)
    var result = [Int](repeating: 0, count: count)
    var counter = [Int](repeating: 0, count: shape.count)
    var offset = 0
    for position in 0..<count {
      result[position] = offset
      var axis = shape.count - 1
      while axis >= 0 {
        counter[axis] += 1
        offset += outputStrides[axis]
        if counter[axis] < shape[axis] { break }
        offset -= outputStrides[axis] * counter[axis]
        counter[axis] = 0
        axis -= 1
      }
    }
    return result
  }

  /// Folds `values` into one result per output element.
  func fold(_ values: [Double], initial: Double, _ combine: (Double, Double) -> Double) -> [Double] {
    var result = [Double](repeating: initial, count: outputCount)
    for (value, target) in zip(values, outputIndex) { result[target] = combine(result[target], value) }
    return result
  }
}

/// One reduction op: a fold over each group and a finishing step.
struct Reduction: Sendable {
  let apply: @Sendable ([Double], ReductionWalker) -> [Double]

  private static func simple(
    _ initial: Double, _ combine: @escaping @Sendable (Double, Double) -> Double,
    finish: @escaping @Sendable (Double, Int) -> Double = { value, _ in value }
  ) -> Reduction {
    Reduction { values, walker in
      walker.fold(values, initial: initial, combine).map { finish($0, walker.groupSize) }
    }
  }

  private static let logSumExp = Reduction { values, walker in
    let peaks = walker.fold(values, initial: -.infinity) { Swift.max($0, $1) }.map { $0.isFinite ? $0 : 0 }
    var sums = [Double](repeating: 0, count: walker.outputCount)
    for (value, target) in zip(values, walker.outputIndex) { sums[target] += exp(value - peaks[target]) }
    return zip(sums, peaks).map { log($0) + $1 }
  }

  static let all: [(String, Reduction)] = [
    ("ReduceSum", simple(0, +)),
    ("ReduceMean", simple(0, +) { $0 / Double($1) }),
    ("ReduceMax", simple(-.infinity) { $1.isNaN || $0.isNaN ? .nan : Swift.max($0, $1) }),
    ("ReduceMin", simple(.infinity) { $1.isNaN || $0.isNaN ? .nan : Swift.min($0, $1) }),
    ("ReduceProd", simple(1, *)),
    ("ReduceL1", simple(0) { $0 + Swift.abs($1) }),
    ("ReduceL2", simple(0, { $0 + $1 * $1 }) { value, _ in value.squareRoot() }),
    ("ReduceLogSum", simple(0, +) { value, _ in log(value) }),
    ("ReduceLogSumExp", logSumExp),
    ("ReduceSumSquare", simple(0) { $0 + $1 * $1 }),
  ]
}

extension HostTensor {
  /// The elements as Ints, for index-like inputs (axes, k); values too large to be an index
  /// or not whole are an error.
  func integers(_ invocation: KernelInvocation) throws -> [Int] {
    try invocation.doubleValues(of: self).map { value in
      guard value.magnitude < 1e15, value == value.rounded() else {
        throw invocation.failure("\(value) is not a usable integer here")
      }
      return Int(value)
    }
  }

  /// A tensor of `dataType` holding `values`; integers truncate toward zero and saturate,
  /// NaN becomes 0.
  static func narrowing(_ values: [Double], to dataType: DataType, shape: [Int]) throws -> HostTensor {
    switch dataType {
    case .float: return try HostTensor(shape: shape, values: values.map { Float($0) })
    case .double: return try HostTensor(shape: shape, values: values)
    case .float16: return try HostTensor(shape: shape, values: values.map { Float16(Float($0)) })
    case .int8: return try HostTensor(shape: shape, values: values.map(saturated(Int8.self)))
    case .uint8: return try HostTensor(shape: shape, values: values.map(saturated(UInt8.self)))
    case .int16: return try HostTensor(shape: shape, values: values.map(saturated(Int16.self)))
    case .uint16: return try HostTensor(shape: shape, values: values.map(saturated(UInt16.self)))
    case .int32: return try HostTensor(shape: shape, values: values.map(saturated(Int32.self)))
    case .uint32: return try HostTensor(shape: shape, values: values.map(saturated(UInt32.self)))
    case .int64: return try HostTensor(shape: shape, values: values.map(saturated(Int64.self)))
    case .uint64: return try HostTensor(shape: shape, values: values.map(saturated(UInt64.self)))
    case .bool: return try HostTensor(shape: shape, values: values.map { $0 != 0 })
    default: throw KilnError.badInput("element type \(dataType.name) is not supported here")
    }
  }

  private static func saturated<T: FixedWidthInteger>(_ type: T.Type) -> (Double) -> T {
    { value in
      if value.isNaN { return 0 }
      if value >= Double(T.max) { return T.max }
      if value <= Double(T.min) { return T.min }
      return T(value)
    }
  }
}
