// The output channels of a weight, over which int8 weights get one range each.

/// Which axes of a weight index its output channels, for per-channel quantization.
enum WeightChannels {
  /// The first `count` axes (a Convolution's [O, ...] or a GroupConvolution's [G, O/G, ...]).
  case leading(Int)
  /// The last axis (a MatMul's B of [K, N]).
  case last

  /// The largest magnitude of each channel, and the dims of the range constants (the
  /// weight's dims with every other axis 1).
  func magnitudes(of values: [Float], dims: [Int64]) -> ([Float], [Int64]) {
    switch self {
    case .leading(let count):
      let channels = max(dims.prefix(count).reduce(1, *), 1)
      let size = values.count / Int(channels)
      let magnitudes = (0..<Int(channels)).map { channel in
        values[channel * size..<(channel + 1) * size].reduce(0) { max($0, abs($1)) }
      }
      return (magnitudes, Array(dims.prefix(count)) + Array(repeating: 1, count: dims.count - count))
    case .last:
      let channels = Int(dims.last ?? 1)
      var magnitudes = [Float](repeating: 0, count: channels)
      for (index, value) in values.enumerated() {
        magnitudes[index % channels] = max(magnitudes[index % channels], abs(value))
      }
      return (magnitudes, Array(repeating: 1, count: max(dims.count - 1, 0)) + [Int64(channels)])
    }
  }
}
