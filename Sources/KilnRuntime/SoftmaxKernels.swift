// Softmax, LogSoftmax and Hardmax along an axis, with the pre-13 coerce-to-2-D semantics.

import Foundation
import KilnIR

extension KernelFamily {
  /// Softmax, LogSoftmax, Hardmax: before opset 13 the input is coerced to 2-D at `axis`
  /// (default 1) and the op runs over the flattened trailing part; from 13 it runs along the
  /// single `axis` (default -1). Softmax and LogSoftmax subtract the lane maximum first.
  static let softmax = KernelFamily { registry in
    registry.register("Softmax") { try laneKernel($0, softmaxLane) }
    registry.register("LogSoftmax") { try laneKernel($0, logSoftmaxLane) }
    registry.register("Hardmax") { try laneKernel($0, hardmaxLane) }
  }

  private static func laneKernel(
    _ invocation: KernelInvocation, _ transform: ([Double]) -> [Double]
  ) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    guard [.float, .double, .float16].contains(data.dataType) else {
      throw invocation.failure("needs a floating-point input, not \(data.dataType.name)")
    }
    let coerced = invocation.opset < 13
    let axis = try invocation.axis(invocation.int("axis", default: coerced ? 1 : -1), rank: data.rank)
    let lanes = coerced
      ? Lanes(outer: data.shape[..<axis].reduce(1, *), length: data.shape[axis...].reduce(1, *), inner: 1)
      : Lanes(shape: data.shape, axis: axis)
    let values = try invocation.doubleValues(of: data)
    let result = lanes.map(values, transform)
    return [try HostTensor.narrowing(result, to: data.dataType, shape: data.shape)]
  }

  private static func shifted(_ lane: [Double]) -> [Double] {
    let peak = lane.max() ?? 0
    return lane.map { $0 - (peak.isFinite ? peak : 0) }
  }

  private static func softmaxLane(_ lane: [Double]) -> [Double] {
    let exps = shifted(lane).map { exp($0) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
  }

  /// The log-softmax of one lane (SoftmaxCrossEntropyLoss uses it too).
  static func logSoftmaxLane(_ lane: [Double]) -> [Double] {
    let shift = shifted(lane)
    let logTotal = log(shift.reduce(0) { $0 + exp($1) })
    return shift.map { $0 - logTotal }
  }

  private static func hardmaxLane(_ lane: [Double]) -> [Double] {
    var result = [Double](repeating: 0, count: lane.count)
    if let first = lane.indices.max(by: { lane[$0] < lane[$1] || (lane[$0] == lane[$1] && $0 > $1) }) {
      result[first] = 1
    }
    return result
  }
}

/// A tensor viewed as `outer * inner` lanes of `length` elements each, a lane's elements
/// `inner` apart: the layout of any op that works along one axis.
struct Lanes {
  let outer: Int
  let length: Int
  let inner: Int

  init(outer: Int, length: Int, inner: Int) {
    self.outer = outer
    self.length = length
    self.inner = inner
  }

  /// The lanes along `axis` of `shape` (which must be a valid axis).
  init(shape: [Int], axis: Int) {
    self.init(
      outer: shape[..<axis].reduce(1, *), length: shape[axis], inner: shape[(axis + 1)...].reduce(1, *))
  }

  /// The lanes along `axis` of a real (`[..., 1]`) or complex (`[..., 2]`) signal's `shape`,
  /// counted in signal points: the last dimension is left out.
  init(complexShape shape: [Int], axis: Int) {
    self.init(shape: Array(shape.dropLast()), axis: axis)
  }

  /// The number of lanes.
  var count: Int { outer * inner }

  /// The flat index of element `position` of lane `lane` (0 ..< count, outer-major).
  func index(lane: Int, position: Int) -> Int {
    index(lane / inner, position, lane % inner)
  }

  /// The flat index of element `position` of lane (`outerIndex`, `innerIndex`).
  func index(_ outerIndex: Int, _ position: Int, _ innerIndex: Int) -> Int {
    (outerIndex * length + position) * inner + innerIndex
  }

  /// Calls `body` with each lane's outer and inner index and its elements' flat indices.
  func forEach(_ body: (Int, Int, [Int]) throws -> Void) rethrows {
    for outerIndex in 0..<outer {
      for innerIndex in 0..<inner {
        try body(outerIndex, innerIndex, (0..<length).map { index(outerIndex, $0, innerIndex) })
      }
    }
  }

  /// `values` with each lane replaced by `transform` of it (same length).
  func map(_ values: [Double], _ transform: ([Double]) -> [Double]) -> [Double] {
    var result = values
    forEach { _, _, indices in
      for (target, value) in zip(indices, transform(indices.map { values[$0] })) { result[target] = value }
    }
    return result
  }
}
