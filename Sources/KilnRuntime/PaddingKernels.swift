// Pad: constant, reflect, edge and wrap padding (and cropping by negative pads).

import Foundation
import KilnIR

extension KernelFamily {
  /// Pad in every opset form: pads and value as attributes before opset 11, as inputs from it
  /// (constant_value optional, axes from 18); modes constant, reflect, edge, and wrap (19).
  static let padding = KernelFamily { registry in
    registry.register("Pad", padKernel)
  }

  private static func padKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let mode = invocation.string("mode", default: "constant")
    guard ["constant", "reflect", "edge", "wrap"].contains(mode) else {
      throw invocation.failure("unknown mode '\(mode)'")
    }
    let (begins, ends) = try padAmounts(invocation, rank: data.rank)
    var shape: [Int] = []
    for axis in 0..<data.rank {
      let dim = data.shape[axis]
      let size = begins[axis] + dim + ends[axis]
      guard size >= 0 else { throw invocation.failure("pads shrink axis \(axis) below zero") }
      guard mode == "constant" || dim > 0 || size == 0 else {
        throw invocation.failure("cannot \(mode)-pad the empty axis \(axis)")
      }
      shape.append(size)
    }
    let fill = try padValue(invocation, dataType: data.dataType)
    return [
      try data.remapped(shape: shape, fill: fill) { axis, position in
        padSource(position - begins[axis], dim: data.shape[axis], mode: mode)
      }
    ]
  }

  /// Pads before and after each axis, from the attribute or the pads (and axes) inputs.
  private static func padAmounts(_ invocation: KernelInvocation, rank: Int) throws -> ([Int], [Int])
  {
    let pads =
      invocation.opset < 11
      ? (invocation.ints("pads") ?? invocation.ints("paddings"))
      : try invocation.intValues(of: invocation.input(1))
    guard let pads else { throw invocation.failure("needs pads") }
    let axesInput = invocation.opset >= 18 ? invocation.optionalInput(3) : nil
    let axes =
      try axesInput.map { try invocation.uniqueAxes(try invocation.intValues(of: $0), rank: rank) }
      ?? Array(0..<rank)
    guard pads.count == 2 * axes.count else {
      throw invocation.failure("pads has \(pads.count) values for \(axes.count) axes")
    }
    var begins = [Int](repeating: 0, count: rank)
    var ends = begins
    for (position, axis) in axes.enumerated() {
      begins[axis] = pads[position]
      ends[axis] = pads[position + axes.count]
    }
    guard begins.allSatisfy({ abs($0) < Int.max / 4 }), ends.allSatisfy({ abs($0) < Int.max / 4 })
    else {
      throw invocation.failure("pads are too large")
    }
    return (begins, ends)
  }

  /// The source coordinate for padded coordinate `x` (relative to the data's start), or nil.
  private static func padSource(_ x: Int, dim: Int, mode: String) -> Int? {
    if x >= 0 && x < dim { return x }
    switch mode {
    case "edge": return min(max(x, 0), dim - 1)
    case "wrap": return ((x % dim) + dim) % dim
    case "reflect":
      guard dim > 1 else { return 0 }
      let period = 2 * (dim - 1)
      let folded = ((x % period) + period) % period
      return folded < dim ? folded : period - folded
    default: return nil
    }
  }

  /// The constant to pad with, of the data's type (zero when not given).
  private static func padValue(_ invocation: KernelInvocation, dataType: DataType) throws
    -> HostTensor
  {
    let zero = try HostTensor(zeros: dataType, shape: [])
    if invocation.opset < 11 {
      try zero.store([Double(invocation.float("value", default: 0))], invocation: invocation)
      return zero
    }
    guard let value = invocation.optionalInput(2), value.elementCount > 0 else { return zero }
    guard value.dataType == dataType else {
      throw invocation.failure("constant_value type differs from the data's")
    }
    return value
  }
}
