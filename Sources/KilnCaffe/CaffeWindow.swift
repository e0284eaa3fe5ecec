// The sliding window of a Convolution, Deconvolution or Pooling layer, per spatial axis.

import CaffeProto
import KilnIR

/// Kernel, padding, stride and dilation per spatial axis, read from Caffe's scalar, repeated
/// and `_h`/`_w` fields the way Caffe itself reads them.
struct CaffeWindow {
  var kernel: [Int]
  var pads: [Int]
  var strides: [Int]
  var dilations: [Int]

  /// The ONNX attributes: kernel_shape, pads (begins then ends), strides, dilations.
  var attributes: [Attribute] {
    [.ints("kernel_shape", kernel), .ints("pads", pads + pads), .ints("strides", strides), .ints("dilations", dilations)]
  }

  /// Output size along each axis of a convolution over `input` (spatial sizes).
  func convolutionOutput(_ input: [Int]) -> [Int] {
    input.indices.map { (input[$0] + 2 * pads[$0] - extent($0)) / strides[$0] + 1 }
  }

  /// Output size along each axis of a deconvolution over `input`.
  func deconvolutionOutput(_ input: [Int]) -> [Int] {
    input.indices.map { strides[$0] * (input[$0] - 1) + extent($0) - 2 * pads[$0] }
  }

  /// The span of the dilated kernel along `axis`.
  func extent(_ axis: Int) -> Int { dilations[axis] * (kernel[axis] - 1) + 1 }
}

extension CaffeWindow {
  /// The window of a (de)convolution with `spatialRank` spatial axes.
  init(_ p: Caffe_ConvolutionParameter, spatialRank: Int) throws {
    let twoD = spatialRank == 2
    if p.hasKernelH || p.hasKernelW {
      guard twoD, p.hasKernelH, p.hasKernelW, p.kernelSize.isEmpty else {
        throw KilnCaffeProblem("kernel_h and kernel_w go together, for 2-D inputs only, without kernel_size")
      }
      kernel = [Int(p.kernelH), Int(p.kernelW)]
    } else {
      kernel = try Self.perAxis(p.kernelSize, rank: spatialRank, default: nil, field: "kernel_size")
    }
    if p.hasPadH || p.hasPadW {
      guard twoD, p.pad.isEmpty else { throw KilnCaffeProblem("pad_h/pad_w are for 2-D inputs only, without pad") }
      pads = [Int(p.padH), Int(p.padW)]
    } else {
      pads = try Self.perAxis(p.pad, rank: spatialRank, default: 0, field: "pad")
    }
    if p.hasStrideH || p.hasStrideW {
      guard twoD, p.stride.isEmpty else { throw KilnCaffeProblem("stride_h/stride_w are for 2-D inputs only, without stride") }
      strides = [Int(p.strideH), Int(p.strideW)]
    } else {
      strides = try Self.perAxis(p.stride, rank: spatialRank, default: 1, field: "stride")
    }
    dilations = try Self.perAxis(p.dilation, rank: spatialRank, default: 1, field: "dilation")
    try check()
  }

  /// The window of a 2-D pooling layer (global pooling is handled by the caller).
  init(_ p: Caffe_PoolingParameter) throws {
    if p.hasKernelH || p.hasKernelW {
      guard !p.hasKernelSize else { throw KilnCaffeProblem("kernel_size and kernel_h/kernel_w are exclusive") }
      kernel = [Int(p.kernelH), Int(p.kernelW)]
    } else {
      guard p.hasKernelSize else { throw KilnCaffeProblem("pooling needs kernel_size or kernel_h/kernel_w") }
      kernel = [Int(p.kernelSize), Int(p.kernelSize)]
    }
    pads = p.hasPadH || p.hasPadW ? [Int(p.padH), Int(p.padW)] : [Int(p.pad), Int(p.pad)]
    strides = p.hasStrideH || p.hasStrideW ? [Int(p.strideH), Int(p.strideW)] : [Int(p.stride), Int(p.stride)]
    dilations = [1, 1]
    try check()
  }

  private func check() throws {
    guard kernel.allSatisfy({ $0 > 0 }), strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }) else {
      throw KilnCaffeProblem("kernel \(kernel), stride \(strides) and dilation \(dilations) must be positive")
    }
  }

  /// Caffe's repeated window field: empty takes `default`, one value applies to every axis,
  /// else one value per axis.
  private static func perAxis(_ values: [UInt32], rank: Int, default fallback: Int?, field: String) throws -> [Int] {
    switch values.count {
    case 0:
      guard let fallback else { throw KilnCaffeProblem("\(field) is missing") }
      return Array(repeating: fallback, count: rank)
    case 1: return Array(repeating: Int(values[0]), count: rank)
    case rank: return values.map { Int($0) }
    default: throw KilnCaffeProblem("\(field) has \(values.count) values for \(rank) spatial axes")
    }
  }
}
