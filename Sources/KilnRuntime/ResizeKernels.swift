// Resize (opsets 10-19) and Upsample (7-9): nearest, linear and cubic interpolation over any axes.

import Foundation
import KilnIR

extension KernelFamily {
  /// Resize and Upsample. Nearest copies elements by size (any type); linear and cubic
  /// interpolate numeric tensors one axis at a time in Double. Scales or sizes (with axes and
  /// keep_aspect_ratio_policy at 18), every coordinate_transformation_mode (tf_half_pixel_for_nn
  /// too), nearest_mode, cubic_coeff_a, exclude_outside and extrapolation_value; antialias is not
  /// supported.
  static let resize = KernelFamily { registry in
    registry.register("Resize", resizeKernel)
    registry.register("Upsample", resizeKernel)
  }

  private static func resizeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let settings = try ResizeSettings(invocation, rank: data.rank)
    let (shape, scales) = try resizeTarget(invocation, data: data, settings: settings)
    func taps(_ axis: Int, _ position: Int) throws -> [ResizeTap]? {
      try settings.taps(
        output: position, axis: axis, inLength: data.shape[axis], outLength: shape[axis],
        scale: scales[axis])
    }
    if settings.mode == "nearest" {
      let fill = try HostTensor(zeros: data.dataType, shape: [])
      if data.dataType.numericType != nil {
        try fill.store([settings.extrapolation], invocation: invocation)
      }
      return [try data.remapped(shape: shape, fill: fill) { try taps($0, $1)?.first?.index }]
    }
    let output = try HostTensor(zeros: data.dataType, shape: shape)
    guard output.elementCount > 0 else { return [output] }
    var values = try invocation.doubleValues(of: data)
    var current = data.shape
    for axis in 0..<data.rank where shape[axis] != current[axis] || scales[axis] != 1 {
      let axisTaps = try (0..<shape[axis]).map { try taps(axis, $0) }
      values = interpolate(
        values, shape: current, axis: axis, taps: axisTaps, fill: settings.extrapolation)
      current[axis] = shape[axis]
    }
    try output.store(values, invocation: invocation)
    return [output]
  }

  /// The output shape and per-axis scales, from scales or sizes (restricted to axes at 18).
  private static func resizeTarget(
    _ invocation: KernelInvocation, data: HostTensor, settings: ResizeSettings
  ) throws -> ([Int], [Double]) {
    let rank = data.rank
    let axes =
      try invocation.ints("axes").map { try invocation.uniqueAxes($0, rank: rank) }
      ?? Array(0..<rank)
    var scales = [Double](repeating: 1, count: rank)
    var shape = data.shape
    if let sizesInput = invocation.opset >= 11 ? invocation.optionalInput(3) : nil,
      sizesInput.elementCount > 0
    {
      let sizes = try invocation.intValues(of: sizesInput)
      guard sizes.count == axes.count, sizes.allSatisfy({ $0 >= 0 }) else {
        throw invocation.failure("sizes \(sizes) do not fit the axes")
      }
      for (position, axis) in axes.enumerated() {
        shape[axis] = sizes[position]
        scales[axis] =
          data.shape[axis] == 0 ? 1 : Double(sizes[position]) / Double(data.shape[axis])
      }
      let policy = invocation.string("keep_aspect_ratio_policy", default: "stretch")
      if policy != "stretch" {
        let chosen = axes.map { scales[$0] }
        guard let scale = policy == "not_larger" ? chosen.min() : chosen.max() else {
          return (shape, scales)
        }
        for axis in axes {
          scales[axis] = scale
          shape[axis] = Int(scale * Double(data.shape[axis]) + 0.5)
        }
      }
    } else {
      let given = try resizeScales(invocation)
      guard given.count == axes.count, given.allSatisfy({ $0 > 0 && $0 < 1e6 }) else {
        throw invocation.failure("scales \(given) do not fit the axes")
      }
      for (position, axis) in axes.enumerated() {
        scales[axis] = given[position]
        shape[axis] = Int(given[position] * Double(data.shape[axis]))
      }
    }
    _ = try HostTensor.elementCount(of: shape)
    return (shape, scales)
  }

  private static func resizeScales(_ invocation: KernelInvocation) throws -> [Double] {
    if invocation.node.opType == "Upsample" && invocation.opset < 9 {
      guard case .floats(let scales)? = invocation.node.attribute("scales") else {
        throw invocation.failure("needs scales")
      }
      return scales.map { Double($0) }
    }
    let index = invocation.opset >= 11 ? 2 : 1
    guard let scales = invocation.optionalInput(index) else {
      throw invocation.failure("needs scales or sizes")
    }
    return try invocation.doubleValues(of: scales)
  }

  /// One separable pass: resamples `axis` of `values` (of `shape`) through `taps`.
  private static func interpolate(
    _ values: [Double], shape: [Int], axis: Int, taps: [[ResizeTap]?], fill: Double
  ) -> [Double] {
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let length = shape[axis]
    var output = [Double](repeating: 0, count: outer * taps.count * inner)
    for block in 0..<outer {
      for (slot, list) in taps.enumerated() {
        let target = (block * taps.count + slot) * inner
        guard let list else {
          for offset in 0..<inner { output[target + offset] = fill }
          continue
        }
        for tap in list where tap.weight != 0 {
          let source = (block * length + tap.index) * inner
          for offset in 0..<inner {
            output[target + offset] += tap.weight * values[source + offset]
          }
        }
      }
    }
    return output
  }
}

/// One source element feeding an output coordinate, and its weight.
private struct ResizeTap {
  let index: Int
  let weight: Double
}

/// The attributes that decide how one output coordinate maps to source taps.
private struct ResizeSettings {
  let mode: String
  let transform: String
  let nearestMode: String
  let cubicA: Double
  let excludeOutside: Bool
  let extrapolation: Double
  let roi: [Double]
  let rank: Int

  init(_ invocation: KernelInvocation, rank: Int) throws {
    let legacy = invocation.opset < 11
    let mode = invocation.string("mode", default: "nearest")
    self.mode = mode == "bilinear" ? "linear" : mode
    guard ["nearest", "linear", "cubic"].contains(self.mode) else {
      throw invocation.failure("unknown mode '\(mode)'")
    }
    transform =
      legacy
      ? "asymmetric" : invocation.string("coordinate_transformation_mode", default: "half_pixel")
    nearestMode =
      legacy ? "floor" : invocation.string("nearest_mode", default: "round_prefer_floor")
    guard
      [
        "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
        "tf_half_pixel_for_nn",
        "tf_crop_and_resize",
      ].contains(transform),
      ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearestMode)
    else { throw invocation.failure("unknown coordinate_transformation_mode or nearest_mode") }
    guard invocation.int("antialias", default: 0) == 0 else {
      throw invocation.failure("antialias is not supported")
    }
    cubicA = Double(invocation.float("cubic_coeff_a", default: -0.75))
    excludeOutside = invocation.int("exclude_outside", default: 0) != 0
    extrapolation = Double(invocation.float("extrapolation_value", default: 0))
    self.rank = rank
    var roi = [Double](repeating: 0, count: rank) + [Double](repeating: 1, count: rank)
    if transform == "tf_crop_and_resize", let given = invocation.optionalInput(1),
      given.elementCount > 0
    {
      let values = try invocation.doubleValues(of: given)
      let axes =
        try invocation.ints("axes").map { try invocation.uniqueAxes($0, rank: rank) }
        ?? Array(0..<rank)
      guard values.count == 2 * axes.count else {
        throw invocation.failure("roi has \(values.count) values")
      }
      for (position, axis) in axes.enumerated() {
        roi[axis] = values[position]
        roi[rank + axis] = values[axes.count + position]
      }
    }
    self.roi = roi
  }

  /// The source coordinate of output coordinate `x` along `axis`.
  func sourceCoordinate(_ x: Double, axis: Int, inLength: Int, outLength: Int, scale: Double)
    -> Double
  {
    // As ONNX specifies, the resized length here is scale × input, not the rounded output length.
    let (input, output) = (Double(inLength), scale * Double(inLength))
    switch transform {
    case "asymmetric": return x / scale
    case "tf_half_pixel_for_nn": return (x + 0.5) / scale
    case "align_corners": return output == 1 ? 0 : x * (input - 1) / (output - 1)
    case "pytorch_half_pixel": return output > 1 ? (x + 0.5) / scale - 0.5 : 0
    case "half_pixel_symmetric":
      let adjustment = Double(outLength) / output
      return input / 2 * (1 - adjustment) + (x + 0.5) / scale - 0.5
    case "tf_crop_and_resize":
      let (start, end) = (roi[axis], roi[rank + axis])
      return output > 1
        ? start * (input - 1) + x * (end - start) * (input - 1) / (output - 1)
        : 0.5 * (start + end) * (input - 1)
    default: return (x + 0.5) / scale - 0.5
    }
  }

  /// The taps for output coordinate `output` along `axis`, or nil for the extrapolation value.
  func taps(output: Int, axis: Int, inLength: Int, outLength: Int, scale: Double) throws
    -> [ResizeTap]?
  {
    guard inLength > 0 else { throw KilnError.badInput("cannot resize an empty axis \(axis)") }
    let x = sourceCoordinate(
      Double(output), axis: axis, inLength: inLength, outLength: outLength, scale: scale)
    guard x.isFinite else { throw KilnError.badInput("resize coordinates are not finite") }
    if transform == "tf_crop_and_resize" && (x < 0 || x > Double(inLength - 1)) { return nil }
    let base = x.rounded(.down)
    let ratio = x - base
    let floorIndex = Int(max(min(base, 1e15), -1e15))
    func clamped(_ index: Int) -> Int { min(max(index, 0), inLength - 1) }
    switch mode {
    case "nearest":
      let up =
        ratio > 0
        && (nearestMode == "ceil" || (nearestMode == "round_prefer_floor" && ratio > 0.5)
          || (nearestMode == "round_prefer_ceil" && ratio >= 0.5))
      return [ResizeTap(index: clamped(floorIndex + (up ? 1 : 0)), weight: 1)]
    case "linear":
      return [
        ResizeTap(index: clamped(floorIndex), weight: 1 - ratio),
        ResizeTap(index: clamped(floorIndex + 1), weight: ratio),
      ]
    default:
      return cubicTaps(floorIndex: floorIndex, ratio: ratio, inLength: inLength)
    }
  }

  private func cubicTaps(floorIndex: Int, ratio t: Double, inLength: Int) -> [ResizeTap] {
    var weights = keysCubicWeights(t, a: cubicA)
    let indices = (-1...2).map { floorIndex + $0 }
    if excludeOutside {
      for (slot, index) in indices.enumerated() where index < 0 || index >= inLength {
        weights[slot] = 0
      }
      let total = weights.reduce(0, +)
      if total != 0 { weights = weights.map { $0 / total } }
    }
    return zip(indices, weights).map { ResizeTap(index: min(max($0, 0), inLength - 1), weight: $1) }
  }
}

/// Keys cubic convolution weights of the four taps at -1, 0, 1, 2 around fraction `t`.
func keysCubicWeights(_ t: Double, a: Double) -> [Double] {
  func far(_ d: Double) -> Double { ((a * d - 5 * a) * d + 8 * a) * d - 4 * a }
  func near(_ d: Double) -> Double { ((a + 2) * d - (a + 3)) * d * d + 1 }
  return [far(t + 1), near(t), near(1 - t), far(2 - t)]
}
