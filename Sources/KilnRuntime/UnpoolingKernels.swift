// MaxUnpool: scattering pooled maxima back to the positions MaxPool took them from.

import KilnIR

extension KernelFamily {
  /// MaxUnpool over any spatial rank: each element of X goes to the flat position its index
  /// names in the unpooled shape ((in − 1)·stride − pads + kernel per axis); the rest is zero.
  /// An output_shape input, at least as large, places that result at its origin.
  static let unpooling = KernelFamily { registry in
    registry.register("MaxUnpool", maxUnpoolKernel)
  }

  private static func maxUnpoolKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let indices = try invocation.intValues(of: try invocation.input(1))
    guard x.rank >= 3, indices.count == x.elementCount else {
      throw invocation.failure("needs X [N, C, ...] and as many indices, got \(x.shape) and \(indices.count)")
    }
    let unpooled = try unpooledShape(invocation, x.shape)
    let shape = try invocation.optionalInput(2).map { try invocation.intValues(of: $0) } ?? unpooled
    guard shape.count == x.rank, shape[..<2] == unpooled[..<2], zip(shape, unpooled).allSatisfy({ $0 >= $1 }) else {
      throw invocation.failure("output_shape \(shape) is smaller than the unpooled shape \(unpooled)")
    }
    let limit = try HostTensor.elementCount(of: unpooled)
    guard indices.allSatisfy({ $0 >= 0 && $0 < limit }) else {
      throw invocation.failure("indices must lie in 0..<\(limit)")
    }
    let output = try HostTensor(zeros: x.dataType, shape: shape)
    guard !indices.isEmpty else { return [output] }
    let size = try x.elementSize()
    let unpooledStrides = HostTensor.strides(of: unpooled)
    let outputStrides = output.strides
    for (source, index) in indices.enumerated() {
      var rest = index
      var target = 0
      for axis in unpooled.indices {
        target += rest / unpooledStrides[axis] * outputStrides[axis]
        rest %= unpooledStrides[axis]
      }
      (output.buffer.pointer + target * size).copyMemory(from: x.buffer.pointer + source * size, byteCount: size)
    }
    return [output]
  }

  /// N, C, then (in − 1)·stride − pad begin − pad end + kernel per spatial axis.
  private static func unpooledShape(_ invocation: KernelInvocation, _ shape: [Int]) throws -> [Int] {
    let spatial = shape.count - 2
    guard let kernel = invocation.ints("kernel_shape"), kernel.count == spatial else {
      throw invocation.failure("needs kernel_shape with \(spatial) entries")
    }
    let strides = invocation.ints("strides") ?? Array(repeating: 1, count: spatial)
    let pads = invocation.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
    guard strides.count == spatial, pads.count == 2 * spatial,
      (kernel + strides).allSatisfy({ $0 > 0 && $0 <= 1 << 20 }), pads.allSatisfy({ $0 >= 0 && $0 <= 1 << 20 }),
      shape.allSatisfy({ $0 <= 1 << 40 })
    else {
      throw invocation.failure("kernel_shape, strides and pads \(kernel), \(strides), \(pads) do not fit \(shape)")
    }
    let sides = (0..<spatial).map { axis in
      (shape[axis + 2] - 1) * strides[axis] - pads[axis] - pads[axis + spatial] + kernel[axis]
    }
    guard sides.allSatisfy({ $0 >= 0 }) else { throw invocation.failure("pads leave a negative output side") }
    return Array(shape[..<2]) + sides
  }
}
