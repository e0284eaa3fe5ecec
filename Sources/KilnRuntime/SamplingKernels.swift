// GridSample: reading an image at arbitrary normalized positions.

import Foundation
import KilnIR

extension KernelFamily {
  /// GridSample on 4-D inputs: X [N, C, H, W] read at grid [N, Ho, Wo, 2] of (x, y) positions
  /// in [-1, 1]; nearest (round half to even), bilinear or bicubic (Keys, a = -0.75)
  /// interpolation; zeros, border or reflection padding; align_corners. Opset 20 names the
  /// modes linear and cubic; its N-D form is not supported.
  static let sampling = KernelFamily { registry in
    registry.register("GridSample", gridSampleKernel)
  }

  private static func gridSampleKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let grid = try invocation.input(1)
    guard x.rank == 4, grid.rank == 4, grid.shape[0] == x.shape[0], grid.shape[3] == 2 else {
      throw invocation.failure("needs X [N, C, H, W] and grid [N, Ho, Wo, 2], got \(x.shape) and \(grid.shape)")
    }
    guard x.isFloatingPoint, grid.isFloatingPoint else {
      throw invocation.failure("needs floating-point X and grid, not \(x.dataType.name) and \(grid.dataType.name)")
    }
    let sampler = try GridSampler(invocation, height: x.shape[2], width: x.shape[3])
    let (batch, channels) = (x.shape[0], x.shape[1])
    let points = grid.shape[1] * grid.shape[2]
    let shape = [batch, channels, grid.shape[1], grid.shape[2]]
    let output = try HostTensor(zeros: .double, shape: shape)
    guard output.elementCount > 0 else { return [try castTensor(output, to: x.dataType, for: invocation)] }
    guard x.shape[2] > 0, x.shape[3] > 0 else { throw invocation.failure("cannot sample an empty image \(x.shape)") }
    let values = output.mutableElements(as: Double.self)
    let data = try invocation.floatingValues(of: x)
    let positions = try invocation.floatingValues(of: grid)
    let plane = x.shape[2] * x.shape[3]
    for n in 0..<batch {
      for point in 0..<points {
        let position = (n * points + point) * 2
        let taps = sampler.taps(x: positions[position], y: positions[position + 1])
        for channel in 0..<channels {
          let base = (n * channels + channel) * plane
          values[(n * channels + channel) * points + point] = taps.map { tap in
            tap.offset.map { tap.weight * data[base + $0] } ?? (tap.weight.isNaN ? .nan : 0)
          }.reduce(0, +)
        }
      }
    }
    return [try castTensor(output, to: x.dataType, for: invocation)]
  }
}

/// One term of an interpolation: a plane offset (nil: a zero from padding) and its weight.
private struct SampleTap {
  let offset: Int?
  let weight: Double
}

/// GridSample's attributes and the taps for one grid position.
private struct GridSampler {
  enum Interpolation { case nearest, linear, cubic }
  enum Padding: String { case zeros, border, reflection }

  let interpolation: Interpolation
  let padding: Padding
  let alignCorners: Bool
  let height: Int
  let width: Int

  init(_ invocation: KernelInvocation, height: Int, width: Int) throws {
    let renamed = invocation.opset >= 20
    let mode = invocation.string("mode", default: renamed ? "linear" : "bilinear")
    switch (mode, renamed) {
    case ("nearest", _): interpolation = .nearest
    case ("bilinear", false), ("linear", true): interpolation = .linear
    case ("bicubic", false), ("cubic", true): interpolation = .cubic
    default: throw invocation.failure("mode \(mode) is not supported at opset \(invocation.opset)")
    }
    let paddingMode = invocation.string("padding_mode", default: "zeros")
    guard let padding = Padding(rawValue: paddingMode) else {
      throw invocation.failure("padding_mode \(paddingMode) is not supported")
    }
    self.padding = padding
    alignCorners = invocation.int("align_corners", default: 0) != 0
    self.height = height
    self.width = width
  }

  /// The taps for normalized position (x, y): the product of each axis's taps.
  func taps(x: Double, y: Double) -> [SampleTap] {
    let rows = axisTaps(y, length: height)
    let columns = axisTaps(x, length: width)
    return rows.flatMap { row in
      columns.map { column in
        SampleTap(
          offset: row.offset.flatMap { r in column.offset.map { r * width + $0 } },
          weight: row.weight * column.weight)
      }
    }
  }

  /// One axis's taps for normalized coordinate `normalized`: positions and weights, the
  /// positions already resolved by the padding mode.
  private func axisTaps(_ normalized: Double, length: Int) -> [SampleTap] {
    var position = alignCorners
      ? (normalized + 1) / 2 * Double(length - 1) : ((normalized + 1) * Double(length) - 1) / 2
    if interpolation == .nearest { position.round(.toNearestOrEven) }
    position = padded(position, length: length)
    guard !position.isNaN else { return [SampleTap(offset: nil, weight: .nan)] }
    // Beyond a few pixels outside, every tap reads padding: clamping keeps indices small.
    position = min(max(position, -8), Double(length + 8))
    let low = Int(position.rounded(.down))
    let t = position - Double(low)
    switch interpolation {
    case .nearest: return [tap(Int(position), 1, length: length)]
    case .linear: return [tap(low, 1 - t, length: length), tap(low + 1, t, length: length)]
    case .cubic:
      return zip(low - 1...low + 2, keysCubicWeights(t, a: -0.75)).map { tap($0, $1, length: length) }
    }
  }

  /// A source position outside the sampling range moved in by the padding mode.
  private func padded(_ position: Double, length: Int) -> Double {
    switch padding {
    case .zeros: return position
    case .border: return min(max(position, 0), Double(length - 1))
    case .reflection:
      let (low, high) = bounds(length)
      return reflect(position, low, high)
    }
  }

  /// The range positions are sampled from: pixel centers with align_corners, else edges.
  private func bounds(_ length: Int) -> (Double, Double) {
    alignCorners ? (0, Double(length - 1)) : (-0.5, Double(length) - 0.5)
  }

  /// `position` reflected off the ends of [low, high] until it lies within.
  private func reflect(_ position: Double, _ low: Double, _ high: Double) -> Double {
    guard position < low || position > high else { return position }
    let range = high - low
    guard range > 0 else { return low }
    let (distance, fromLow) = position < low ? (low - position, true) : (position - high, false)
    let flips = (distance / range).rounded(.down)
    let rest = distance - flips * range
    let even = flips.truncatingRemainder(dividingBy: 2) == 0
    return even == fromLow ? low + rest : high - rest
  }

  /// The tap at integer `index`, resolved by the padding mode.
  private func tap(_ index: Int, _ weight: Double, length: Int) -> SampleTap {
    switch padding {
    case .zeros:
      return SampleTap(offset: index >= 0 && index < length ? index : nil, weight: weight)
    case .border:
      return SampleTap(offset: min(max(index, 0), length - 1), weight: weight)
    case .reflection:
      let (low, high) = bounds(length)
      let reflected = Int(reflect(Double(index), low, high))
      return SampleTap(offset: min(max(reflected, 0), length - 1), weight: weight)
    }
  }
}
