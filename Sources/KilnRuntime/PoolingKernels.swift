// Pooling: MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool, LpPool.

import Foundation
import KilnIR

extension KernelFamily {
  /// MaxPool (kernel_shape, strides, pads, auto_pad, dilations, ceil_mode, storage_order, the
  /// optional Indices output; any numeric type), AveragePool (count_include_pad, ceil_mode,
  /// auto_pad, dilations), LpPool (p), and the global max/average pools, over any spatial rank.
  static let pooling = KernelFamily { registry in
    registry.register("MaxPool", maxPoolKernel)
    registry.register("AveragePool") { try windowedFloatPool($0, power: nil) }
    registry.register("LpPool") { try windowedFloatPool($0, power: Float($0.int("p", default: 2))) }
    registry.register("GlobalMaxPool", globalMaxPoolKernel)
    registry.register("GlobalAveragePool", globalAveragePoolKernel)
  }

  private static func maxPoolKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard x.dataType.numericType != nil else { throw invocation.failure("does not support \(x.dataType.name)") }
    let geometry = try poolGeometry(invocation, x)
    let storageOrder = invocation.int("storage_order", default: 0)
    guard storageOrder == 0 || storageOrder == 1 else { throw invocation.failure("storage_order must be 0 or 1") }
    let wantsIndices = invocation.node.outputs.count > 1 && invocation.node.outputs[1] != nil
    let pool = MaxPool(
      x: x, geometry: geometry, columnMajor: storageOrder == 1, withIndices: wantsIndices,
      threads: invocation.threads)
    return Array(try x.dataType.accept(pool).prefix(invocation.node.outputs.count))
  }

  /// Maps a row-major offset in a plane of `shape` to the offset storage_order asks for.
  fileprivate static func storageIndex(_ shape: [Int], columnMajor: Bool) -> (Int) -> Int {
    guard columnMajor else { return { $0 } }
    let rowStrides = HostTensor.strides(of: shape)
    let columnStrides = shape.indices.map { shape[..<$0].reduce(1, *) }
    return { offset in
      var rest = offset, index = 0
      for axis in shape.indices {
        index += rest / rowStrides[axis] * columnStrides[axis]
        rest %= rowStrides[axis]
      }
      return index
    }
  }

  /// AveragePool (`power` nil) or LpPool (the p-norm of each window), in float32.
  private static func windowedFloatPool(_ invocation: KernelInvocation, power: Float?) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let geometry = try poolGeometry(invocation, x)
    let floatX = try FloatTensors.toFloat(x, invocation)
    defer { withExtendedLifetime(floatX) {} }
    let px = floatX.elements(as: Float.self)
    let out = try HostTensor(zeros: .float, shape: Array(x.shape.prefix(2)) + geometry.output)
    let py = out.mutableElements(as: Float.self)
    let (positions, plane) = (geometry.outputCount, geometry.inputCount)
    let (segments, step) = (geometry.segments(), geometry.segmentStep)
    var counts = [Int](repeating: 0, count: positions)
    for segment in segments { for i in 0..<segment.count { counts[segment.output + i] += 1 } }
    if power == nil, invocation.int("count_include_pad", default: 0) != 0 { counts = paddedCounts(geometry) }
    let divisors = counts.map { Float(max($0, 1)) }
    let slices = x.shape[0] * x.shape[1]
    parallelChunks(slices, threads: invocation.threads, grain: chunkGrain(perItemWork: positions * geometry.kernelCount)) {
      for slice in $0 {
        let (source, target) = (slice * plane, slice * positions)
        for segment in segments {
          let (from, to) = (source + segment.input, target + segment.output)
          if let power {
            for i in 0..<segment.count { py[to + i] += pow(abs(px[from + i * step]), power) }
          } else {
            for i in 0..<segment.count { py[to + i] += px[from + i * step] }
          }
        }
        for position in 0..<positions {
          let sum = py[target + position]
          py[target + position] = power.map { pow(sum, 1 / $0) } ?? sum / divisors[position]
        }
      }
    }
    return [try FloatTensors.restore(out, to: x.dataType, invocation)]
  }

  /// For each output position, how many window taps fall inside the padded input.
  private static func paddedCounts(_ geometry: WindowGeometry) -> [Int] {
    let perAxis = geometry.output.indices.map { axis in
      (0..<geometry.output[axis]).map { index in
        (0..<geometry.kernel[axis]).filter { tap in
          let coord = index * geometry.strides[axis] + tap * geometry.dilations[axis] - geometry.padsBegin[axis]
          return coord >= -geometry.padsBegin[axis] && coord < geometry.input[axis] + geometry.padsEnd[axis]
        }.count
      }
    }
    var counts = [Int](repeating: 1, count: geometry.outputCount)
    var index = [Int](repeating: 0, count: geometry.output.count)
    for position in counts.indices {
      for axis in index.indices { counts[position] *= perAxis[axis][index[axis]] }
      HostTensor.advance(&index, within: geometry.output)
    }
    return counts
  }

  private static func poolGeometry(_ invocation: KernelInvocation, _ x: HostTensor) throws -> WindowGeometry {
    guard x.rank >= 3 else { throw invocation.failure("X must have rank at least 3, got \(x.shape)") }
    guard let kernel = invocation.ints("kernel_shape") else { throw invocation.failure("needs kernel_shape") }
    return try WindowGeometry(
      invocation, input: Array(x.shape.dropFirst(2)), kernel: kernel,
      ceilMode: invocation.int("ceil_mode", default: 0) != 0)
  }

  private static func globalMaxPoolKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard let type = x.dataType.numericType else { throw invocation.failure("does not support \(x.dataType.name)") }
    return [try globalMax(x, invocation, type)]
  }

  private static func globalMax<T: NumericElement>(
    _ x: HostTensor, _ invocation: KernelInvocation, _ type: T.Type
  ) throws -> HostTensor {
    let (out, plane) = try globalOutput(x, invocation, x.dataType)
    let px = x.elements(as: T.self), py = out.mutableElements(as: T.self)
    for slice in py.indices {
      let start = slice * plane
      py[slice] = px[start..<start + plane].max() ?? T.zero
    }
    return out
  }

  private static func globalAveragePoolKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let floatX = try FloatTensors.toFloat(x, invocation)
    defer { withExtendedLifetime(floatX) {} }
    let px = floatX.elements(as: Float.self)
    let (out, plane) = try globalOutput(x, invocation, .float)
    let py = out.mutableElements(as: Float.self)
    for slice in py.indices {
      let start = slice * plane
      py[slice] = px[start..<start + plane].reduce(0, +) / Float(max(plane, 1))
    }
    return [try FloatTensors.restore(out, to: x.dataType, invocation)]
  }

  /// The [N, C, 1, ...] output of a global pool and the size of each reduced plane.
  private static func globalOutput(
    _ x: HostTensor, _ invocation: KernelInvocation, _ dataType: DataType
  ) throws -> (HostTensor, Int) {
    guard x.rank >= 3 else { throw invocation.failure("X must have rank at least 3, got \(x.shape)") }
    let shape = Array(x.shape.prefix(2)) + [Int](repeating: 1, count: x.rank - 2)
    return (try HostTensor(zeros: dataType, shape: shape), x.shape.dropFirst(2).reduce(1, *))
  }
}

/// MaxPool over one element type.
private struct MaxPool: NumericVisitor {
  let x: HostTensor
  let geometry: WindowGeometry
  let columnMajor: Bool
  let withIndices: Bool
  let threads: Int

  /// The window maxima of every (image, channel) plane, and with `withIndices` the flat index
  /// (storage_order applied) each came from. A window wholly in the padding yields the type's
  /// lowest value.
  func visit<T: NumericElement>(_ type: T.Type) throws -> [HostTensor?] {
    let shape = Array(x.shape.prefix(2)) + geometry.output
    let out = try HostTensor(uninitialized: x.dataType, shape: shape)
    let indices = try HostTensor(zeros: .int64, shape: withIndices ? shape : [0])
    let px = x.elements(as: T.self), py = out.mutableElements(as: T.self)
    let pIndex = indices.mutableElements(as: Int64.self)
    let xBase = x.buffer.pointer.assumingMemoryBound(to: T.self)
    let yBase = out.buffer.pointer.assumingMemoryBound(to: T.self)
    let (positions, plane) = (geometry.outputCount, geometry.inputCount)
    let indexOf = KernelFamily.storageIndex(geometry.input, columnMajor: columnMajor)
    let (segments, step, lowest) = (geometry.segments(), geometry.segmentStep, lowestValue(T.self))
    let slices = x.shape[0] * x.shape[1]
    parallelChunks(slices, threads: threads, grain: chunkGrain(perItemWork: positions * geometry.kernelCount)) {
      for slice in $0 {
        let (source, target) = (slice * plane, slice * positions)
        UnsafeMutableBufferPointer(rebasing: py[target..<target + positions]).update(repeating: lowest)
        for segment in segments where !withIndices {
          Self.accumulateMaximum(
            into: yBase + target + segment.output, from: xBase + source + segment.input,
            count: segment.count, step: step)
        }
        for segment in segments where withIndices {
          for i in 0..<segment.count {
            let (from, to) = (source + segment.input + i * step, target + segment.output + i)
            if px[from] > py[to] {
              py[to] = px[from]
              pIndex[to] = Int64(source + indexOf(segment.input + i * step))
            }
          }
        }
      }
    }
    return [out, indices]
  }

  /// `to[i] = max(to[i], from[i * step])` (NaN in `from` ignored, as `>` does); steps 1 and 2
  /// get constant-stride loops the compiler vectorizes.
  private static func accumulateMaximum<T: NumericElement>(
    into to: UnsafeMutablePointer<T>, from: UnsafePointer<T>, count: Int, step: Int
  ) {
    switch step {
    case 1: for i in 0..<count { to[i] = Swift.max(to[i], from[i]) }
    case 2: for i in 0..<count { to[i] = Swift.max(to[i], from[2 &* i]) }
    default: for i in 0..<count { to[i] = Swift.max(to[i], from[i &* step]) }
    }
  }

  /// The smallest value of a numeric type: -infinity for floating point, the minimum integer.
  private func lowestValue<T: NumericElement>(_ type: T.Type) -> T {
    func negativeInfinity<F: FloatingPoint>(_: F.Type) -> F { -F.infinity }
    func minimum<I: FixedWidthInteger>(_: I.Type) -> I { I.min }
    if let floating = T.self as? any FloatingPoint.Type, let value = negativeInfinity(floating) as? T { return value }
    if let integer = T.self as? any FixedWidthInteger.Type, let value = minimum(integer) as? T { return value }
    return T.zero
  }
}
