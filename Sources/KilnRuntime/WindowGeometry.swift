// The geometry of a sliding window (convolution, pooling) and the runs of taps it reads.

import KilnIR

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
}

/// A run of output positions along the last spatial axis whose window reads, for one kernel
/// tap, input elements at a fixed step: output `output + i` reads input `input + i * step`
/// (both row-major offsets within one spatial plane), for `i` in `0..<count`.
struct WindowSegment {
  /// The kernel tap, row-major over the kernel.
  let tap: Int
  let output: Int
  let input: Int
  let count: Int
}

extension WindowGeometry {
  /// The input step between consecutive outputs of a segment (the last axis's stride).
  var segmentStep: Int { strides.last ?? 1 }

  /// Every tap's reads that fall inside the (unpadded) input, as runs along the last axis:
  /// taps in row-major order, and within a tap, runs in increasing output order; the output
  /// positions a tap has no run for read padding. Kernels loop over these runs with simple
  /// strided loops instead of testing bounds per element.
  func segments() -> [WindowSegment] {
    let last = input.count - 1
    let inputStrides = HostTensor.strides(of: input)
    let lastRanges = (0..<kernel[last]).map { lastAxisRange(tap: $0) }
    let leadingKernel = Array(kernel.dropLast()), leadingOutput = Array(output.dropLast())
    let rows = leadingOutput.reduce(1, *), width = output[last]
    var segments: [WindowSegment] = []
    var tapIndex = [Int](repeating: 0, count: last)
    for leadingTap in 0..<leadingKernel.reduce(1, *) {
      for (lastTap, range) in lastRanges.enumerated() where !range.outputs.isEmpty {
        var rowIndex = [Int](repeating: 0, count: last)
        for row in 0..<rows {
          if let rowInput = leadingInputOffset(tapIndex, rowIndex, inputStrides) {
            segments.append(WindowSegment(
              tap: leadingTap * kernel[last] + lastTap, output: row * width + range.outputs.lowerBound,
              input: rowInput + range.firstInput, count: range.outputs.count))
          }
          HostTensor.advance(&rowIndex, within: leadingOutput)
        }
      }
      HostTensor.advance(&tapIndex, within: leadingKernel)
    }
    return segments
  }

  /// The outputs along the last axis whose window, at last-axis tap `tap`, lands inside the
  /// input, and the input coordinate the first of them reads.
  private func lastAxisRange(tap: Int) -> (outputs: Range<Int>, firstInput: Int) {
    let last = input.count - 1
    let (stride, shift) = (strides[last], tap * dilations[last] - padsBegin[last])
    let low = max(0, Self.ceilingDivide(-shift, stride))
    let high = min(output[last], Self.ceilingDivide(input[last] - shift, stride))
    return high > low ? (low..<high, low * stride + shift) : (0..<0, 0)
  }

  /// The input offset of an output row's window at a leading-axes tap, or nil in the padding.
  private func leadingInputOffset(_ tap: [Int], _ row: [Int], _ inputStrides: [Int]) -> Int? {
    var offset = 0
    for axis in tap.indices {
      let coord = row[axis] * strides[axis] - padsBegin[axis] + tap[axis] * dilations[axis]
      guard coord >= 0, coord < input[axis] else { return nil }
      offset += coord * inputStrides[axis]
    }
    return offset
  }

  private static func ceilingDivide(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? (a + b - 1) / b : -((-a) / b)
  }
}
