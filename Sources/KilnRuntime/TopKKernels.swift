// TopK and CumSum: ops that order or accumulate along one axis.

import KilnIR

extension KernelFamily {
  /// TopK (k as attribute before opset 10, as input after; largest and sorted from 11; ties
  /// keep the smaller index first) and CumSum (axis input, exclusive, reverse).
  static let topKAndCumSum = KernelFamily { registry in
    registry.register("TopK", topKKernel)
    registry.register("CumSum", cumSumKernel)
  }

  private static func topKKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let axis = try invocation.axis(invocation.int("axis", default: -1), rank: data.rank)
    let k = try topKCount(invocation)
    guard k >= 0, k <= data.shape[axis] else {
      throw invocation.failure("k \(k) is out of range for an axis of \(data.shape[axis])")
    }
    let largest = invocation.int("largest", default: 1) != 0
    let lanes = Lanes(shape: data.shape, axis: axis)
    let chosenLanes = Lanes(outer: lanes.outer, length: k, inner: lanes.inner)
    let values = try invocation.doubleValues(of: data)
    var chosen = [Int](repeating: 0, count: chosenLanes.outer * k * lanes.inner)
    lanes.forEach { outerIndex, innerIndex, indices in
      let order = rankedPositions(indices.map { values[$0] }, largest: largest)
      for position in 0..<k { chosen[chosenLanes.index(outerIndex, position, innerIndex)] = order[position] }
    }
    var shape = data.shape
    shape[axis] = k
    let picked = try gatherAlongAxis(data, positions: chosen, lanes: lanes, chosenLanes: chosenLanes, shape: shape)
    return [picked, try HostTensor(shape: shape, values: chosen.map { Int64($0) })]
  }

  /// Positions of `lane` from largest (or smallest) value on; ties keep the smaller position
  /// first, and NaN orders above every number, as in numpy.
  private static func rankedPositions(_ lane: [Double], largest: Bool) -> [Int] {
    lane.indices.sorted { first, second in
      let a = lane[first], b = lane[second]
      if a == b || (a.isNaN && b.isNaN) { return first < second }
      if a.isNaN || b.isNaN { return a.isNaN == largest }
      return largest ? a > b : a < b
    }
  }

  private static func topKCount(_ invocation: KernelInvocation) throws -> Int {
    guard invocation.opset >= 10 else { return invocation.int("k", default: -1) }
    let values = try invocation.input(1).integers(invocation)
    guard values.count == 1, let k = values.first else { throw invocation.failure("k must hold a single integer") }
    return k
  }

  /// The elements of `data` at `positions` along each lane, copied bytewise so any type works.
  private static func gatherAlongAxis(
    _ data: HostTensor, positions: [Int], lanes: Lanes, chosenLanes: Lanes, shape: [Int]
  ) throws -> HostTensor {
    let result = try HostTensor(zeros: data.dataType, shape: shape)
    let size = Int(data.dataType.byteCount(elements: 1) ?? 0)
    for outerIndex in 0..<lanes.outer {
      for position in 0..<chosenLanes.length {
        for innerIndex in 0..<lanes.inner {
          let target = chosenLanes.index(outerIndex, position, innerIndex)
          let source = lanes.index(outerIndex, positions[target], innerIndex)
          (result.buffer.pointer + target * size).copyMemory(from: data.buffer.pointer + source * size, byteCount: size)
        }
      }
    }
    return result
  }

  private static func cumSumKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let axisValues = try invocation.input(1).integers(invocation)
    guard axisValues.count == 1, let rawAxis = axisValues.first else {
      throw invocation.failure("axis must hold a single integer")
    }
    let axis = try invocation.axis(rawAxis, rank: data.rank)
    let exclusive = invocation.int("exclusive", default: 0) != 0
    let reverse = invocation.int("reverse", default: 0) != 0
    let sums = Lanes(shape: data.shape, axis: axis).map(try invocation.doubleValues(of: data)) { lane in
      var running = 0.0
      var result = [Double](repeating: 0, count: lane.count)
      for position in reverse ? Array(lane.indices.reversed()) : Array(lane.indices) {
        if exclusive { result[position] = running }
        running += lane[position]
        if !exclusive { result[position] = running }
      }
      return result
    }
    return [try HostTensor.narrowing(sums, to: data.dataType, shape: data.shape)]
  }
}
