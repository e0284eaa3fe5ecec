// Convolutions over OpenBLAS: Conv (im2col + sgemm) and ConvTranspose (sgemm + col2im).

import KilnIR

extension KernelFamily {
  /// Conv and ConvTranspose over any spatial rank, with groups (depthwise included), strides,
  /// dilations, pads, auto_pad, optional bias; ConvTranspose also output_padding and
  /// output_shape. float32 is computed directly, float16 and double through float32.
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
    let out = try HostTensor(zeros: .float, shape: [n, m] + geometry.output)
    let (cg, mg) = (c / group, m / group)
    let (taps, positions, plane) = (geometry.kernelCount, geometry.outputCount, geometry.inputCount)
    let pointwise = geometry.isIdentity
    let col = try HostTensor(zeros: .float, shape: pointwise ? [0] : [cg, taps, positions])
    let table = pointwise ? try HostTensor(zeros: .int64, shape: [0]) : try geometry.tapOffsets()
    defer { withExtendedLifetime((x, w, col, table)) {} }
    let offsets = table.elements(as: Int64.self)
    let px = x.elements(as: Float.self), pw = w.elements(as: Float.self), py = out.mutableElements(as: Float.self)
    guard positions > 0, cg > 0, mg > 0, let baseX = px.baseAddress, let baseW = pw.baseAddress,
          let baseY = py.baseAddress else { return [try finishConv(out, invocation, m)] }
    for image in 0..<n {
      for g in 0..<group {
        let xg = baseX + (image * c + g * cg) * plane
        let yg = baseY + (image * m + g * mg) * positions
        let wg = baseW + g * mg * cg * taps
        if pointwise {
          try LinearAlgebra.sgemm(m: mg, n: positions, k: cg, a: wg, b: xg, c: yg)
          continue
        }
        if cg == 1 && mg == 1 {
          depthwise(x: xg, w: wg, y: yg, taps: taps, positions: positions, offsets: offsets)
          continue
        }
        let colBuffer = col.mutableElements(as: Float.self)
        for channel in 0..<cg {
          let source = xg + channel * plane, rowBase = channel * offsets.count
          for (index, offset) in offsets.enumerated() {
            colBuffer[rowBase + index] = offset < 0 ? 0 : source[Int(offset)]
          }
        }
        if let colBase = colBuffer.baseAddress {
          try LinearAlgebra.sgemm(m: mg, n: positions, k: cg * taps, a: wg, b: colBase, c: yg)
        }
      }
    }
    return [try finishConv(out, invocation, m)]
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
    let out = try HostTensor(zeros: .float, shape: [n, m] + geometry.input)
    let (taps, positions, plane) = (geometry.kernelCount, geometry.outputCount, geometry.inputCount)
    let col = try HostTensor(zeros: .float, shape: [mg, taps, positions])
    let table = try geometry.tapOffsets()
    defer { withExtendedLifetime((x, w, col, table)) {} }
    let offsets = table.elements(as: Int64.self)
    let px = x.elements(as: Float.self), pw = w.elements(as: Float.self), py = out.mutableElements(as: Float.self)
    guard positions > 0, mg > 0, cg > 0, plane > 0, let baseX = px.baseAddress,
          let baseW = pw.baseAddress else { return [try finishConv(out, invocation, m)] }
    for image in 0..<n {
      for g in 0..<group {
        let xg = baseX + (image * c + g * cg) * positions
        let wg = baseW + g * cg * mg * taps
        let yBase = (image * m + g * mg) * plane
        let colBuffer = col.mutableElements(as: Float.self)
        if let colBase = colBuffer.baseAddress {
          try LinearAlgebra.sgemm(m: mg * taps, n: positions, k: cg, a: wg, b: xg, c: colBase, transA: true)
          for channel in 0..<mg {
            let target = yBase + channel * plane, rowBase = channel * offsets.count
            for (index, offset) in offsets.enumerated() where offset >= 0 {
              py[target + Int(offset)] += colBuffer[rowBase + index]
            }
          }
        }
      }
    }
    return [try finishConv(out, invocation, m)]
  }

  /// X and W as float32, checked for matching rank ≥ 3 and the kernel_shape attribute.
  /// One channel of a depthwise convolution (one input and one output channel per group):
  /// accumulates each tap straight from the input, where im2col and a 1-row GEMM per channel
  /// would mostly move memory.
  private static func depthwise(
    x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
    taps: Int, positions: Int, offsets: UnsafeBufferPointer<Int64>
  ) {
    for tap in 0..<taps {
      let weight = w[tap], row = tap * positions
      for position in 0..<positions {
        let offset = offsets[row + position]
        if offset >= 0 { y[position] += weight * x[Int(offset)] }
      }
    }
  }

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

  /// Adds the optional per-channel bias (input 2) to a float32 [N, M, ...] result and stores it
  /// in X's element type.
  private static func finishConv(
    _ out: HostTensor, _ invocation: KernelInvocation, _ channels: Int
  ) throws -> HostTensor {
    if let bias = invocation.optionalInput(2) {
      guard bias.shape == [channels] else { throw invocation.failure("bias is \(bias.shape), expected [\(channels)]") }
      let floatBias = try FloatTensors.toFloat(bias, invocation)
      defer { withExtendedLifetime(floatBias) {} }
      let values = floatBias.elements(as: Float.self)
      let py = out.mutableElements(as: Float.self)
      let plane = out.shape.dropFirst(2).reduce(1, *)
      for start in stride(from: 0, to: py.count, by: max(plane, 1)) {
        let value = values[(start / max(plane, 1)) % channels]
        for index in start..<start + plane { py[index] += value }
      }
    }
    return try FloatTensors.restore(out, to: try invocation.input(0).dataType, invocation)
  }
}

/// A sliding window over the spatial dims: input and output sizes, kernel, strides, dilations
/// and leading pads, from the node's attributes (auto_pad included).
struct WindowGeometry {
  let input: [Int]
  let kernel: [Int]
  let strides: [Int]
  let dilations: [Int]
  let padsBegin: [Int]
  let padsEnd: [Int]
  let output: [Int]

  var kernelCount: Int { kernel.reduce(1, *) }
  var outputCount: Int { output.reduce(1, *) }
  var inputCount: Int { input.reduce(1, *) }

  /// True when every output element reads exactly the input element at the same place.
  var isIdentity: Bool {
    kernelCount == 1 && strides.allSatisfy { $0 == 1 } && padsBegin.allSatisfy { $0 == 0 } && output == input
  }

  /// The forward window (Conv, pooling); `ceilMode` rounds partial windows up.
  init(_ invocation: KernelInvocation, input: [Int], kernel: [Int], ceilMode: Bool = false) throws {
    let rank = input.count
    let (strides, dilations, pads) = try Self.attributes(invocation, rank: rank, sizes: input + kernel)
    guard kernel.count == rank, kernel.allSatisfy({ $0 > 0 }), (try? HostTensor.elementCount(of: kernel)) != nil else {
      throw invocation.failure("kernel shape \(kernel) does not fit \(rank) spatial dims")
    }
    let autoPad = invocation.string("auto_pad", default: "NOTSET")
    var begin = [Int](), end = [Int](), output = [Int]()
    for axis in 0..<rank {
      let span = dilations[axis] * (kernel[axis] - 1) + 1
      let (size, stride) = (input[axis], strides[axis])
      switch autoPad {
      case "SAME_UPPER", "SAME_LOWER":
        let out = (size + stride - 1) / stride
        let total = max(0, (out - 1) * stride + span - size)
        begin.append(autoPad == "SAME_UPPER" ? total / 2 : total - total / 2)
        end.append(total - begin[axis])
        output.append(out)
      case "VALID", "NOTSET":
        let (padBegin, padEnd) = autoPad == "VALID" ? (0, 0) : (pads[axis], pads[axis + rank])
        let room = size + padBegin + padEnd - span
        guard room >= 0 else {
          throw invocation.failure("window \(span) is larger than padded input \(size + padBegin + padEnd)")
        }
        var out = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1
        if ceilMode, (out - 1) * stride >= size + padBegin { out -= 1 }
        begin.append(padBegin)
        end.append(padEnd)
        output.append(out)
      default:
        throw invocation.failure("unknown auto_pad '\(autoPad)'")
      }
    }
    self.input = input
    self.kernel = kernel
    self.strides = strides
    self.dilations = dilations
    self.padsBegin = begin
    self.padsEnd = end
    self.output = output
  }

  /// The window of a ConvTranspose seen forwards: `input` here is the transposed output, whose
  /// size comes from output_shape, auto_pad or pads with output_padding; `output` is X's size.
  init(transposed invocation: KernelInvocation, input xSize: [Int], kernel: [Int]) throws {
    let rank = xSize.count
    let (strides, dilations, pads) = try Self.attributes(invocation, rank: rank, sizes: xSize + kernel)
    let outputPadding = invocation.ints("output_padding") ?? [Int](repeating: 0, count: rank)
    guard kernel.count == rank, kernel.allSatisfy({ $0 > 0 }), outputPadding.count == rank,
          outputPadding.allSatisfy({ $0 >= 0 && $0 <= Self.limit }) else {
      throw invocation.failure("kernel \(kernel) or output_padding \(outputPadding) does not fit \(rank) spatial dims")
    }
    let autoPad = invocation.string("auto_pad", default: "NOTSET")
    let explicitPads = invocation.ints("pads") != nil
    var requested = invocation.ints("output_shape").map { Array($0.suffix(rank)) }
    if requested == nil, !explicitPads, autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
      requested = zip(xSize, strides).map { $0 * $1 }
    }
    guard requested.map({ $0.count == rank && $0.allSatisfy { $0 >= 0 && $0 <= Self.limit } }) ?? true else {
      throw invocation.failure("output_shape does not fit \(rank) spatial dims")
    }
    var begin = [Int](), end = [Int](), size = [Int]()
    for axis in 0..<rank {
      let full = strides[axis] * (xSize[axis] - 1) + outputPadding[axis] + (kernel[axis] - 1) * dilations[axis] + 1
      if let requested, !explicitPads {
        // Rounded down, as ONNX does, when the requested size exceeds the full one.
        let total = full - requested[axis], half = (total - (total < 0 ? 1 : 0)) / 2
        begin.append(autoPad == "SAME_UPPER" ? half : total - half)
        size.append(requested[axis])
      } else {
        begin.append(pads[axis])
        size.append(requested?[axis] ?? full - pads[axis] - pads[axis + rank])
      }
      end.append(full - size[axis] - begin[axis])
      guard size[axis] >= 0 else { throw invocation.failure("pads leave a negative output size") }
    }
    self.input = size
    self.kernel = kernel
    self.strides = strides
    self.dilations = dilations
    self.padsBegin = begin
    self.padsEnd = end
    self.output = xSize
  }

  /// The largest size, stride, dilation or pad a window accepts, so that its arithmetic cannot
  /// overflow.
  static let limit = 1 << 30

  private static func attributes(
    _ invocation: KernelInvocation, rank: Int, sizes: [Int]
  ) throws -> (strides: [Int], dilations: [Int], pads: [Int]) {
    guard sizes.allSatisfy({ $0 <= limit }) else {
      throw invocation.failure("spatial or kernel sizes \(sizes) are too large")
    }
    let strides = invocation.ints("strides") ?? [Int](repeating: 1, count: rank)
    let dilations = invocation.ints("dilations") ?? [Int](repeating: 1, count: rank)
    let pads = invocation.ints("pads") ?? [Int](repeating: 0, count: 2 * rank)
    guard strides.count == rank, strides.allSatisfy({ $0 > 0 }), dilations.count == rank,
          (strides + dilations + pads).allSatisfy({ $0 <= limit }),
          dilations.allSatisfy({ $0 > 0 }), pads.count == 2 * rank, pads.allSatisfy({ $0 >= 0 }) else {
      throw invocation.failure(
        "strides \(strides), dilations \(dilations) or pads \(pads) do not fit \(rank) spatial dims")
    }
    return (strides, dilations, pads)
  }

  /// Calls `body(outputPosition, kernelTap, inputOffset)` for every kernel tap of every output
  /// position that lands inside the (unpadded) input; positions and offsets are row-major.
  @inline(__always)
  func forEachTap(_ body: (_ position: Int, _ tap: Int, _ offset: Int) -> Void) {
    let rank = input.count
    let inputStrides = HostTensor.strides(of: input)
    var tapIndex = [Int](repeating: 0, count: rank)
    for tap in 0..<kernelCount {
      var outIndex = [Int](repeating: 0, count: rank)
      for position in 0..<outputCount {
        var offset = 0, inside = true
        for axis in 0..<rank {
          let coord = outIndex[axis] * strides[axis] - padsBegin[axis] + tapIndex[axis] * dilations[axis]
          if coord < 0 || coord >= input[axis] { inside = false; break }
          offset += coord * inputStrides[axis]
        }
        if inside { body(position, tap, offset) }
        HostTensor.advance(&outIndex, within: output)
      }
      HostTensor.advance(&tapIndex, within: kernel)
    }
  }

  /// For each (kernel tap, output position), row-major, the input offset it reads, or -1 where
  /// it falls in the padding.
  func tapOffsets() throws -> HostTensor {
    let table = try HostTensor(zeros: .int64, shape: [try HostTensor.elementCount(of: kernel + output)])
    let offsets = table.mutableElements(as: Int64.self)
    offsets.update(repeating: -1)
    forEachTap { position, tap, offset in offsets[tap * outputCount + position] = Int64(offset) }
    return table
  }
}
