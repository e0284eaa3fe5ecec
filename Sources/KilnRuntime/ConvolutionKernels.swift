// Convolutions: Conv (im2col + OpenBLAS sgemm, Winograd over a packed-weight GEMM, or direct) and ConvTranspose (sgemm + col2im).

import CKilnKernels
import KilnIR

extension KernelFamily {
  /// Conv and ConvTranspose over any spatial rank, with groups (depthwise included), strides,
  /// dilations, pads, auto_pad, optional bias; ConvTranspose also output_padding and
  /// output_shape. float32 is computed directly, float16 and double through float32. 1×1
  /// convolutions multiply the input directly, depthwise ones accumulate taps without a GEMM,
  /// large enough 3×3 stride-1 ones go through Winograd F(4×4, 3×3), other 2-D ones through a
  /// direct convolution, the rest (1-D, 3-D, grouped) through im2col;
  /// work is split across the invocation's threads. Conv applies a fused Relu/Clip
  /// (`KernelInvocation.fusedActivation`) to each block it computes.
  static let convolution = KernelFamily { registry in
    registry.register("Conv", convKernel)
    registry.register("ConvTranspose", convTransposeKernel)
  }

  private static func convKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let (x, w) = try convOperands(invocation)
    let group = invocation.int("group", default: 1)
    let (n, c, m) = (x.shape[0], x.shape[1], w.shape[0])
    guard group > 0, c % group == 0, m % group == 0, w.shape[1] * group == c else {
      throw invocation.failure("X has \(c) channels, W is \(w.shape), group is \(group)")
    }
    let geometry = try WindowGeometry(
      invocation, input: Array(x.shape.dropFirst(2)), kernel: Array(w.shape.dropFirst(2)))
    let out = try HostTensor(uninitialized: .float, shape: [n, m] + geometry.output)
    let bias = try convBias(invocation, channels: m)
    if WinogradConvolution.applies(to: geometry, group: group, images: n, channels: c, outputs: m) {
      try winogradConv(invocation, x: x, w: w, into: out, bias: bias, geometry: geometry)
      return [try FloatTensors.restore(out, to: invocation.input(0).dataType, invocation)]
    }
    if DirectConvolution.applies(to: geometry, group: group, channels: c, outputs: m) {
      try directConv(invocation, x: x, w: w, into: out, bias: bias, geometry: geometry)
      return [try FloatTensors.restore(out, to: invocation.input(0).dataType, invocation)]
    }
    let (cg, mg) = (c / group, m / group)
    let (taps, positions, plane) = (geometry.kernelCount, geometry.outputCount, geometry.inputCount)
    let isDepthwise = cg == 1 && mg == 1, isPointwise = geometry.isIdentity && !isDepthwise
    let segments = isPointwise || isDepthwise ? [] : geometry.segments(), step = geometry.segmentStep
    let column = try HostTensor(
      uninitialized: .float, shape: isPointwise || isDepthwise ? [0] : [cg, taps, positions])
    defer { withExtendedLifetime((x, w, column)) {} }
    let baseX = x.buffer.pointer.assumingMemoryBound(to: Float.self)
    let baseW = w.buffer.pointer.assumingMemoryBound(to: Float.self)
    let baseY = out.buffer.pointer.assumingMemoryBound(to: Float.self)
    let baseColumn = column.buffer.pointer.assumingMemoryBound(to: Float.self)
    let grain = chunkGrain(perItemWork: taps * positions)
    let activation = invocation.fusedActivation
    if isDepthwise {
      depthwiseConv(x: baseX, w: baseW, y: baseY, bias: bias, planes: n * group, geometry: geometry,
                    activation: activation, threads: invocation.threads)
      return [try FloatTensors.restore(out, to: invocation.input(0).dataType, invocation)]
    }
    for image in 0..<n where positions > 0 && cg > 0 && mg > 0 {
      for g in 0..<group {
        let xg = baseX + (image * c + g * cg) * plane
        if !isPointwise {
          parallelChunks(cg, threads: invocation.threads, grain: grain) { channels in
            for channel in channels {
              im2col(source: xg + channel * plane, column: baseColumn + channel * taps * positions,
                     segments: segments, count: taps * positions, positions: positions, step: step)
            }
          }
        }
        let product = try LinearAlgebra.GemmOperands(
          m: mg, n: positions, k: isPointwise ? cg : cg * taps, a: baseW + g * mg * cg * taps,
          b: isPointwise ? xg : baseColumn, c: baseY + (image * m + g * mg) * positions, beta: 1)
        product.computeInBlocks(bias: bias[(g * mg)...], activation: activation, threads: invocation.threads)
      }
    }
    return [try FloatTensors.restore(out, to: invocation.input(0).dataType, invocation)]
  }

  /// A Conv that `WinogradConvolution` applies to, into `out`. W's transform is kept by the
  /// executor when W is an initializer.
  private static func winogradConv(
    _ invocation: KernelInvocation, x: HostTensor, w: HostTensor, into out: HostTensor, bias: [Float],
    geometry: WindowGeometry
  ) throws {
    let convolution = WinogradConvolution(
      geometry: geometry, images: x.shape[0], channels: x.shape[1], outputs: w.shape[0])
    let u = try invocation.derived(fromInput: 1) { try WinogradConvolution.transformWeights(w) }
    defer { withExtendedLifetime((x, u)) {} }
    try convolution.run(
      x: x.buffer.pointer.assumingMemoryBound(to: Float.self), u: u.buffer.pointer.assumingMemoryBound(to: Float.self),
      y: out.buffer.pointer.assumingMemoryBound(to: Float.self), bias: bias, activation: invocation.fusedActivation,
      threads: invocation.threads)
  }

  /// A Conv that `DirectConvolution` applies to, into `out`. W's packing is kept by the
  /// executor when W is an initializer.
  private static func directConv(
    _ invocation: KernelInvocation, x: HostTensor, w: HostTensor, into out: HostTensor, bias: [Float],
    geometry: WindowGeometry
  ) throws {
    let packed = try invocation.derived(fromInput: 1) { try DirectConvolution.packWeights(w) }
    defer { withExtendedLifetime((x, packed)) {} }
    try DirectConvolution.run(
      x: x.buffer.pointer.assumingMemoryBound(to: Float.self),
      weights: packed.buffer.pointer.assumingMemoryBound(to: Float.self),
      y: out.buffer.pointer.assumingMemoryBound(to: Float.self), bias: bias, activation: invocation.fusedActivation,
      geometry: geometry, images: x.shape[0], channels: x.shape[1], outputs: w.shape[0], threads: invocation.threads)
  }

  private static func convTransposeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let (x, w) = try convOperands(invocation)
    let group = invocation.int("group", default: 1)
    let (n, c) = (x.shape[0], x.shape[1])
    guard group > 0, c % group == 0, w.shape[0] == c else {
      throw invocation.failure("X has \(c) channels, W is \(w.shape), group is \(group)")
    }
    let (cg, mg) = (c / group, w.shape[1])
    let m = mg * group
    let geometry = try WindowGeometry(
      transposed: invocation, input: Array(x.shape.dropFirst(2)), kernel: Array(w.shape.dropFirst(2)))
    // The scatter runs the forward geometry backwards: the transposed output is its "input".
    let out = try HostTensor(uninitialized: .float, shape: [n, m] + geometry.input)
    let bias = try convBias(invocation, channels: m)
    let planeSize = geometry.inputCount, target = out.buffer.pointer.assumingMemoryBound(to: Float.self)
    for index in 0..<n * m { (target + index * planeSize).update(repeating: bias[index % m], count: planeSize) }
    let (taps, positions, plane) = (geometry.kernelCount, geometry.outputCount, geometry.inputCount)
    let column = try HostTensor(uninitialized: .float, shape: [mg, taps, positions])
    let segments = geometry.segments(), step = geometry.segmentStep
    defer { withExtendedLifetime((x, w, column)) {} }
    let baseX = x.buffer.pointer.assumingMemoryBound(to: Float.self)
    let baseW = w.buffer.pointer.assumingMemoryBound(to: Float.self)
    let baseY = out.buffer.pointer.assumingMemoryBound(to: Float.self)
    let baseColumn = column.buffer.pointer.assumingMemoryBound(to: Float.self)
    for image in 0..<n where positions > 0 && plane > 0 && cg > 0 && mg > 0 {
      for g in 0..<group {
        let xg = baseX + (image * c + g * cg) * positions
        let wg = baseW + g * cg * mg * taps
        let yg = baseY + (image * m + g * mg) * plane
        try LinearAlgebra.sgemm(m: mg * taps, n: positions, k: cg, a: wg, b: xg, c: baseColumn, transA: true,
                                    threads: invocation.threads)
        parallelChunks(mg, threads: invocation.threads, grain: chunkGrain(perItemWork: taps * positions)) { channels in
          for channel in channels {
            col2im(column: baseColumn + channel * taps * positions, target: yg + channel * plane,
                   segments: segments, positions: positions, step: step)
          }
        }
      }
    }
    return [try FloatTensors.restore(out, to: invocation.input(0).dataType, invocation)]
  }

  /// Copies one input channel's windows into `count` column elements ([taps, positions]):
  /// each segment is a (strided) copy, and the positions between segments, which read the
  /// padding, become zeros.
  private static func im2col(
    source: UnsafePointer<Float>, column: UnsafeMutablePointer<Float>, segments: [WindowSegment],
    count: Int, positions: Int, step: Int
  ) {
    var filled = 0
    for segment in segments {
      let start = segment.tap * positions + segment.output
      if start > filled { (column + filled).update(repeating: 0, count: start - filled) }
      let (target, from) = (column + start, source + segment.input)
      switch step {
      case 1: target.update(from: from, count: segment.count)
      case 2: for i in 0..<segment.count { target[i] = from[2 &* i] }
      default: for i in 0..<segment.count { target[i] = from[i &* step] }
      }
      filled = start + segment.count
    }
    if count > filled { (column + filled).update(repeating: 0, count: count - filled) }
  }

  /// Adds one column channel ([taps, positions]) into the output plane it scatters to.
  private static func col2im(
    column: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>, segments: [WindowSegment],
    positions: Int, step: Int
  ) {
    for segment in segments {
      let (from, to) = (column + segment.tap * positions + segment.output, target + segment.input)
      for i in 0..<segment.count { to[i * step] += from[i] }
    }
  }

  /// X and W as float32, checked for matching rank ≥ 3 and the kernel_shape attribute.
  private static func convOperands(_ invocation: KernelInvocation) throws -> (HostTensor, HostTensor) {
    let x = try invocation.input(0), w = try invocation.input(1)
    guard x.dataType == w.dataType else { throw invocation.failure("X and W have different element types") }
    guard x.rank >= 3, w.rank == x.rank else {
      throw invocation.failure("X \(x.shape) and W \(w.shape) must have the same rank, at least 3")
    }
    if let kernelShape = invocation.ints("kernel_shape"), kernelShape != Array(w.shape.dropFirst(2)) {
      throw invocation.failure("kernel_shape \(kernelShape) does not match W \(w.shape)")
    }
    return (try FloatTensors.toFloat(x, invocation), try FloatTensors.toFloat(w, invocation))
  }

  /// The optional bias (input 2) as float32 values, one per output channel (zeros without one).
  private static func convBias(_ invocation: KernelInvocation, channels: Int) throws -> [Float] {
    guard let bias = invocation.optionalInput(2) else { return [Float](repeating: 0, count: channels) }
    guard bias.shape == [channels] else { throw invocation.failure("bias is \(bias.shape), expected [\(channels)]") }
    return try FloatTensors.toFloat(bias, invocation).scalars(as: Float.self)
  }
}

extension LinearAlgebra.GemmOperands {
  /// C = A · B + bias (one value per row of C) followed by `activation`, with C split into one
  /// block per thread (when the product is big enough to split): each thread fills, multiplies
  /// into and clamps its own block. Blocks are column ranges, or row ranges when C has more rows
  /// than columns (the late 1×1 convolutions of a CNN: many channels, small planes), so that each
  /// thread packs only its share of the larger operand. C's contents are overwritten (the GEMM
  /// must have beta 1, accumulating onto the bias).
  func computeInBlocks(bias: ArraySlice<Float>, activation: FusedActivation?, threads: Int) {
    let parts = isWorthSplitting ? max(threads, 1) : 1, byRows = m > n
    parallelChunks(byRows ? m : n, threads: parts, grain: LinearAlgebra.minimumBlock, perThread: 1) { block in
      let (rows, columns) = byRows ? (block, 0..<n) : (0..<m, block)
      for row in rows {
        (c + row * n + columns.lowerBound).update(repeating: bias[bias.startIndex + row], count: columns.count)
      }
      compute(rows: rows, columns: columns)
      guard let activation else { return }
      for row in rows { activation.apply(to: c + row * n + columns.lowerBound, count: columns.count) }
    }
  }
}
