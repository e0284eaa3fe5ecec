// Direct convolution: no im2col matrix, weights packed once.

import CKilnKernels

/// A 2-D Conv with one group and a kernel of more than one tap, computed straight from a
/// zero-padded copy of each image (`kiln_direct_conv_tiles`): tiles of 16 output channels by 6
/// consecutive output positions, summed over every input channel and tap from weights packed
/// once per executor. Its inner loop runs at the arithmetic units' peak, where im2col first
/// writes a matrix up to taps times the input and OpenBLAS then copies it and the weights
/// again on every call; a 1×1 kernel needs no im2col and stays a plain GEMM. Winograd's
/// fewer multiplies still win for 3×3 stride-1 Convs over large enough planes.
///
/// Measured at batch 1, one thread, against im2col and OpenBLAS: ResNet's 7×7 stride-2 stem (3 →
/// 64, 224×224) 2.3 ms instead of 4.4; 3×3 over 7×7 planes (512 → 512) 2.4 instead of 3.0-3.3;
/// 3×3 stride 2 (256 → 512 at 14×14, 128 → 256 at 28×28, 64 → 128 at 56×56) 1.13, 1.08 and 1.16
/// instead of 1.43, 1.39 and 1.31; 5×5 (24 → 24, 56×56) 1.3 instead of 2.7. A 1×1 stride-2
/// kernel is slower this way (64 → 128 at 56×56: 0.22 against 0.16 ms).
enum DirectConvolution {
  /// Whether a Conv with this geometry, group, C input and M output channels runs here.
  static func applies(to geometry: WindowGeometry, group: Int, channels: Int, outputs: Int) -> Bool {
    geometry.input.count == 2 && group == 1 && geometry.kernelCount > 1 && channels > 0 && outputs > 0
  }

  /// W [M, C, kH, kW] (float32) packed for `kiln_direct_conv_tiles`.
  static func packWeights(_ w: HostTensor) throws -> HostTensor {
    let (outputs, taps) = (w.shape[0], w.shape.dropFirst().reduce(1, *))
    let packed = try HostTensor(uninitialized: .float, shape: [kiln_direct_weights_count(outputs, taps)])
    kiln_pack_direct_weights(
      w.elements(as: Float.self).baseAddress!, outputs, taps, packed.mutableElements(as: Float.self).baseAddress!)
    return packed
  }

  /// y [N, M, output plane] = the convolution of x [N, C, input plane] with the packed weights,
  /// plus `bias`, then `activation`; each image's tiles are split over `threads`.
  static func run(
    x: UnsafePointer<Float>, weights: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, bias: [Float],
    activation: FusedActivation?, geometry: WindowGeometry, images: Int, channels: Int, outputs: Int, threads: Int
  ) throws {
    var window = kiln_window_2d(
      input_height: geometry.input[0], input_width: geometry.input[1], kernel_height: geometry.kernel[0],
      kernel_width: geometry.kernel[1], stride_y: geometry.strides[0], stride_x: geometry.strides[1],
      dilation_y: geometry.dilations[0], dilation_x: geometry.dilations[1], pad_top: geometry.padsBegin[0],
      pad_left: geometry.padsBegin[1], output_height: geometry.output[0], output_width: geometry.output[1])
    let size = kiln_direct_padded_size(&window)
    let padded = try HostTensor(uninitialized: .float, shape: [channels, size.height, size.width])
    let (inputPlane, outputPlane) = (geometry.inputCount, geometry.outputCount)
    let blocks = (outputs + Int(KILN_DIRECT_CHANNELS) - 1) / Int(KILN_DIRECT_CHANNELS)
    let items = blocks * kiln_direct_tiles(&window)
    let taps = channels * geometry.kernelCount
    let grain = chunkGrain(perItemWork: taps * Int(KILN_DIRECT_CHANNELS) * Int(KILN_DIRECT_POSITIONS))
    let paddedBase = padded.mutableElements(as: Float.self).baseAddress!
    bias.withUnsafeBufferPointer { bias in
      for image in 0..<images {
        kiln_direct_pad(&window, x + image * channels * inputPlane, channels, paddedBase)
        let conv = kiln_direct_conv(
          window: window, padded: paddedBase, channels: channels, weights: weights, outputs: outputs,
          bias: bias.baseAddress!, low: activation?.low ?? -.infinity, high: activation?.high ?? .infinity,
          y: y + image * outputs * outputPlane)
        parallelChunks(items, threads: threads, grain: grain) { range in
          withUnsafePointer(to: conv) { kiln_direct_conv_tiles($0, range.lowerBound, range.upperBound) }
        }
      }
      withExtendedLifetime(padded) {}
    }
  }
}
