// Normalizations: BatchNormalization (inference), InstanceNormalization, LayerNormalization.

import Foundation
import KilnIR

extension KernelFamily {
  /// BatchNormalization (opsets 6–15; training_mode uses batch statistics and returns the
  /// running mean and variance), per-channel
  /// InstanceNormalization, and LayerNormalization (axis, epsilon, optional bias broadcast over
  /// the normalized dims, optional Mean and InvStdDev outputs), and LpNormalization (p 1 or 2
  /// along an axis). Computed in float32; MeanVarianceNormalization (over `axes`, default
  /// [0, 2, 3]) in Double.
  static let normalization = KernelFamily { registry in
    registry.register("BatchNormalization", batchNormKernel)
    registry.register("InstanceNormalization", instanceNormKernel)
    registry.register("LayerNormalization", layerNormKernel)
    registry.register("LpNormalization", lpNormKernel)
    registry.register("MeanVarianceNormalization", meanVarianceKernel)
  }

  /// (X − E[X]) / (√(E[X²] − E[X]²) + 1e-9), the moments taken over `axes`.
  private static func meanVarianceKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard x.isFloatingPoint else { throw invocation.failure("needs a floating-point input, not \(x.dataType.name)") }
    let walker = try ReductionWalker(shape: x.shape, axes: invocation.ints("axes") ?? [0, 2, 3], invocation: invocation)
    let values = try invocation.doubleValues(of: x)
    let count = Double(walker.groupSize)
    let means = walker.fold(values, initial: 0, +).map { $0 / count }
    let squares = walker.fold(values.map { $0 * $0 }, initial: 0, +).map { $0 / count }
    let normalized = zip(values, walker.outputIndex).map { value, group in
      let variance = max(squares[group] - means[group] * means[group], 0)
      return (value - means[group]) / (variance.squareRoot() + 1e-9)
    }
    return [try HostTensor.narrowing(normalized, to: x.dataType, shape: x.shape)]
  }

  private static func batchNormKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard x.rank >= 2 else { throw invocation.failure("X must have rank at least 2, got \(x.shape)") }
    let channels = x.shape[1]
    let parameters = try (1...4).map { try perChannel(invocation, $0, channels) }
    let epsilon = invocation.float("epsilon", default: 1e-5)
    let (scale, bias) = (parameters[0], parameters[1])
    let training = invocation.opset >= 14 && invocation.int("training_mode", default: 0) != 0
    let (mean, variance) = training ? try channelMoments(x, invocation) : (parameters[2], parameters[3])
    let gains = (0..<channels).map { scale[$0] / (variance[$0] + epsilon).squareRoot() }
    let offsets = (0..<channels).map { bias[$0] - mean[$0] * gains[$0] }
    let y = try perChannelAffine(x, invocation, gains: { _, c in gains[c] }, offsets: { _, c in offsets[c] })
    guard training else { return [y] }
    // Training mode also returns the running statistics, updated with momentum.
    let momentum = invocation.float("momentum", default: 0.9)
    let running = try [(parameters[2], mean), (parameters[3], variance)].map { old, current in
      let blended = zip(old, current).map { $0 * momentum + $1 * (1 - momentum) }
      return try FloatTensors.restore(try HostTensor(shape: [channels], values: blended), to: x.dataType, invocation)
    }
    return Array(([y] + running).prefix(invocation.node.outputs.count))
  }

  /// Per-channel mean and population variance of an [N, C, ...] tensor over all other axes.
  private static func channelMoments(_ x: HostTensor, _ invocation: KernelInvocation) throws -> ([Float], [Float]) {
    let floatX = try FloatTensors.toFloat(x, invocation)
    defer { withExtendedLifetime(floatX) {} }
    let values = floatX.elements(as: Float.self)
    let (batch, channels) = (x.shape[0], x.shape[1])
    let plane = x.shape.dropFirst(2).reduce(1, *)
    var means = [Float](repeating: 0, count: channels), variances = means
    for c in 0..<channels {
      var (sum, squares): (Double, Double) = (0, 0)
      for n in 0..<batch {
        let (mean, variance) = moments(values, start: (n * channels + c) * plane, count: plane)
        sum += Double(mean)
        squares += Double(variance) + Double(mean) * Double(mean)
      }
      let mean = sum / Double(max(batch, 1))
      means[c] = Float(mean)
      variances[c] = Float(squares / Double(max(batch, 1)) - mean * mean)
    }
    return (means, variances)
  }

  private static func instanceNormKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard x.rank >= 3 else { throw invocation.failure("X must have rank at least 3, got \(x.shape)") }
    let (batch, channels) = (x.shape[0], x.shape[1])
    let scale = try perChannel(invocation, 1, channels), bias = try perChannel(invocation, 2, channels)
    let epsilon = invocation.float("epsilon", default: 1e-5)
    let floatX = try FloatTensors.toFloat(x, invocation)
    defer { withExtendedLifetime(floatX) {} }
    let values = floatX.elements(as: Float.self)
    let plane = x.shape.dropFirst(2).reduce(1, *)
    var gains = [Float](repeating: 0, count: batch * channels), offsets = gains
    for slice in 0..<batch * channels {
      let (mean, variance) = moments(values, start: slice * plane, count: plane)
      let c = slice % channels
      gains[slice] = scale[c] / (variance + epsilon).squareRoot()
      offsets[slice] = bias[c] - mean * gains[slice]
    }
    return [try perChannelAffine(
      x, invocation, gains: { n, c in gains[n * channels + c] }, offsets: { n, c in offsets[n * channels + c] })]
  }

  private static func layerNormKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    var axis = invocation.int("axis", default: -1)
    if axis < 0 { axis += x.rank }
    guard axis >= 0, axis < x.rank else { throw invocation.failure("axis is out of range for shape \(x.shape)") }
    let inner = Array(x.shape[axis...])
    guard let scaleMap = LinearAlgebra.broadcastIndexMap(from: try invocation.input(1).shape, to: inner) else {
      throw invocation.failure("Scale does not broadcast to \(inner)")
    }
    let floatScale = try FloatTensors.toFloat(try invocation.input(1), invocation)
    let bias = try invocation.optionalInput(2).map { try FloatTensors.toFloat($0, invocation) }
    defer { withExtendedLifetime((floatScale, bias)) {} }
    let scale = floatScale.elements(as: Float.self)
    guard let biasMap = bias.map({ LinearAlgebra.broadcastIndexMap(from: $0.shape, to: inner) }) ?? [] else {
      throw invocation.failure("B does not broadcast to \(inner)")
    }
    let biasValues = bias?.elements(as: Float.self)
    let epsilon = invocation.float("epsilon", default: 1e-5)
    let floatX = try FloatTensors.toFloat(x, invocation)
    defer { withExtendedLifetime(floatX) {} }
    let values = floatX.elements(as: Float.self)
    let count = inner.reduce(1, *), rows = x.shape[..<axis].reduce(1, *)
    let statsShape = Array(x.shape[..<axis]) + [Int](repeating: 1, count: x.rank - axis)
    let out = try HostTensor(zeros: .float, shape: x.shape)
    let meanOut = try HostTensor(zeros: .float, shape: statsShape), invStdOut = try HostTensor(zeros: .float, shape: statsShape)
    let py = out.mutableElements(as: Float.self)
    let pMean = meanOut.mutableElements(as: Float.self), pInvStd = invStdOut.mutableElements(as: Float.self)
    for row in 0..<rows {
      let start = row * count
      let (mean, variance) = moments(values, start: start, count: count)
      let invStd = 1 / (variance + epsilon).squareRoot()
      pMean[row] = mean
      pInvStd[row] = invStd
      for index in 0..<count {
        let shift = biasValues.map { $0[biasMap[index]] } ?? 0
        py[start + index] = (values[start + index] - mean) * invStd * scale[scaleMap[index]] + shift
      }
    }
    let results = [try FloatTensors.restore(out, to: x.dataType, invocation), meanOut, invStdOut]
    return Array(results.prefix(invocation.node.outputs.count))
  }

  private static func lpNormKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    var axis = invocation.int("axis", default: -1)
    if axis < 0 { axis += x.rank }
    let p = invocation.int("p", default: 2)
    guard axis >= 0, axis < x.rank, p == 1 || p == 2 else {
      throw invocation.failure("needs an axis within rank \(x.rank) and p of 1 or 2")
    }
    let floatX = try FloatTensors.toFloat(x, invocation)
    defer { withExtendedLifetime(floatX) {} }
    let values = floatX.elements(as: Float.self)
    let out = try HostTensor(zeros: .float, shape: x.shape)
    let py = out.mutableElements(as: Float.self)
    let (size, inner) = (x.shape[axis], x.shape[(axis + 1)...].reduce(1, *))
    for outer in 0..<x.shape[..<axis].reduce(1, *) {
      for lane in 0..<inner {
        let indices = (0..<size).map { (outer * size + $0) * inner + lane }
        let norm = p == 1
          ? indices.reduce(0) { $0 + abs(values[$1]) }
          : indices.reduce(0) { $0 + values[$1] * values[$1] }.squareRoot()
        for index in indices { py[index] = norm == 0 ? 0 : values[index] / norm }
      }
    }
    return [try FloatTensors.restore(out, to: x.dataType, invocation)]
  }

  /// Input `index`, a float [channels] vector.
  private static func perChannel(_ invocation: KernelInvocation, _ index: Int, _ channels: Int) throws -> [Float] {
    let tensor = try invocation.input(index)
    guard tensor.shape == [channels] else {
      throw invocation.failure("input \(index) is \(tensor.shape), expected [\(channels)]")
    }
    return try FloatTensors.toFloat(tensor, invocation).scalars(as: Float.self)
  }

  /// Mean and (population) variance of `count` values from `start`.
  private static func moments(_ values: UnsafeBufferPointer<Float>, start: Int, count: Int) -> (Float, Float) {
    guard count > 0 else { return (0, 0) }
    var sum: Double = 0
    for index in start..<start + count { sum += Double(values[index]) }
    let mean = sum / Double(count)
    var squares: Double = 0
    for index in start..<start + count {
      let delta = Double(values[index]) - mean
      squares += delta * delta
    }
    return (Float(mean), Float(squares / Double(count)))
  }

  /// y = x · gain(n, c) + offset(n, c) over an [N, C, ...] tensor, stored as X's type.
  private static func perChannelAffine(
    _ x: HostTensor, _ invocation: KernelInvocation,
    gains: (Int, Int) -> Float, offsets: (Int, Int) -> Float
  ) throws -> HostTensor {
    let floatX = try FloatTensors.toFloat(x, invocation)
    defer { withExtendedLifetime(floatX) {} }
    let values = floatX.elements(as: Float.self)
    let out = try HostTensor(zeros: .float, shape: x.shape)
    let py = out.mutableElements(as: Float.self)
    let (batch, channels) = (x.shape[0], x.shape[1])
    let plane = x.shape.dropFirst(2).reduce(1, *)
    for n in 0..<batch {
      for c in 0..<channels {
        let (gain, offset) = (gains(n, c), offsets(n, c))
        let start = (n * channels + c) * plane
        for index in start..<start + plane { py[index] = values[index] * gain + offset }
      }
    }
    return try FloatTensors.restore(out, to: x.dataType, invocation)
  }
}
