// Depthwise convolution (one input and one output channel per group), plane by plane.

import CKilnKernels

extension KernelFamily {
  /// Fills the `planes` (image, channel) output planes of a depthwise Conv at `y`: bias, every
  /// tap and the fused activation. Two spatial dims go through the whole-plane C kernel, which
  /// makes one pass over each plane; other ranks accumulate each run of `segments()` straight
  /// from the input. Neither copies the windows out (im2col and a 1-row GEMM per channel would
  /// mostly move memory). Planes are split across `threads`.
  static func depthwiseConv(
    x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, bias: [Float],
    planes: Int, geometry: WindowGeometry, activation: FusedActivation?, threads: Int
  ) {
    let (taps, positions, plane, channels) = (geometry.kernelCount, geometry.outputCount, geometry.inputCount, bias.count)
    let window = geometry.window2D
    let segments = window == nil ? geometry.segments() : [], step = geometry.segmentStep
    let (low, high) = (activation?.low ?? -.infinity, activation?.high ?? .infinity)
    parallelChunks(planes, threads: threads, grain: chunkGrain(perItemWork: taps * positions)) { range in
      for index in range {
        let (source, weights, target) = (x + index * plane, w + index % channels * taps, y + index * positions)
        if var window {
          kiln_depthwise_plane(&window, source, weights, bias[index % channels], low, high, target)
          continue
        }
        target.update(repeating: bias[index % channels], count: positions)
        for segment in segments {
          kiln_accumulate_scaled(target + segment.output, source + segment.input, weights[segment.tap], segment.count, step)
        }
        activation?.apply(to: target, count: positions)
      }
    }
  }
}

extension WindowGeometry {
  /// The window as the C kernels take it when it has two spatial dims; nil for other ranks.
  var window2D: kiln_window_2d? {
    guard input.count == 2 else { return nil }
    return kiln_window_2d(
      input_height: input[0], input_width: input[1], kernel_height: kernel[0], kernel_width: kernel[1],
      stride_y: strides[0], stride_x: strides[1], dilation_y: dilations[0], dilation_x: dilations[1],
      pad_top: padsBegin[0], pad_left: padsBegin[1], output_height: output[0], output_width: output[1])
  }
}
