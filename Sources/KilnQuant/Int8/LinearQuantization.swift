// Scales and zero points from ranges, and symmetric int8 weights and int32 biases from floats.

/// A linear map from reals to integers: `q = round(x / scale) + zeroPoint`, saturated.
public struct LinearQuantization: Sendable, Equatable {
  public var scale: Float
  public var zeroPoint: Int32

  public init(scale: Float, zeroPoint: Int32) {
    self.scale = scale
    self.zeroPoint = zeroPoint
  }

  /// The scale given to a range of width 0 (a tensor that is always 0), and the least scale
  /// any range gets, so that quantizing never divides by 0.
  public static let minimumScale: Float = 1e-8

  /// The largest magnitude of a symmetric int8 weight: [-127, 127] keeps the range symmetric.
  public static let weightLimit: Float = 127

  /// The parameters for activations in `range`, widened to hold 0 (so that padding and ReLU's
  /// zeros are exact). Asymmetric: the range maps onto the type's whole span. Symmetric: zero
  /// point 0 and scale max|x| / 127 for int8 (TensorRT's scheme), zero point 128 and scale
  /// 2·max|x| / 255 for uint8.
  public static func activation(
    _ range: TensorRange, type: Int8QuantizationOptions.ActivationType, symmetric: Bool
  ) -> LinearQuantization {
    let low = Swift.min(range.min, 0), high = Swift.max(range.max, 0)
    let (qmin, qmax): (Float, Float) = type == .int8 ? (-128, 127) : (0, 255)
    if symmetric {
      let bound = Swift.max(-low, high)
      return type == .int8
        ? LinearQuantization(scale: usable(bound / 127), zeroPoint: 0)
        : LinearQuantization(scale: usable(2 * bound / 255), zeroPoint: 128)
    }
    let scale = usable((high - low) / (qmax - qmin))
    let zero = (qmin - low / scale).rounded(.toNearestOrEven)
    return LinearQuantization(scale: scale, zeroPoint: Int32(Swift.min(Swift.max(zero, qmin), qmax)))
  }

  /// `scale`, or `minimumScale` when it is smaller (0 for a zero-width range).
  static func usable(_ scale: Float) -> Float {
    scale >= minimumScale ? scale : minimumScale
  }
}

/// Symmetric int8 weights: one scale per slice along an axis, or one for the whole tensor.
struct QuantizedWeights {
  var values: [Int8]
  /// One scale per slice along the axis, or a single scale.
  var scales: [Float]

  /// Quantizes `values` laid out as `dims` with scale max|w| / 127 per slice along `axis`
  /// (nil: one scale for all), rounding half to even and saturating at ±127.
  init(_ values: [Float], dims: [Int], axis: Int?) {
    let channels = axis.map { dims[$0] } ?? 1
    let inner = axis.map { dims[($0 + 1)...].reduce(1, *) } ?? Swift.max(values.count, 1)
    var bounds = [Float](repeating: 0, count: channels)
    for (index, value) in values.enumerated() {
      let channel = (index / inner) % channels
      bounds[channel] = Swift.max(bounds[channel], abs(value))
    }
    scales = bounds.map { LinearQuantization.usable($0 / LinearQuantization.weightLimit) }
    let limit = LinearQuantization.weightLimit
    self.values = values.enumerated().map { [scales] index, value in
      let step = (value / scales[(index / inner) % channels]).rounded(.toNearestOrEven)
      return Int8(Swift.min(Swift.max(step, -limit), limit))
    }
  }
}

/// An int32 bias with scale `input scale × weight scale` per output channel, zero point 0.
struct QuantizedBias {
  var values: [Int32]
  var scales: [Float]

  /// Quantizes `bias` for an input scale and the weight scales (one, or one per slice of the
  /// output channels: channel c uses weight scale c mod count, which covers grouped
  /// ConvTranspose). Nil when a value does not fit in int32.
  init?(_ bias: [Float], inputScale: Float, weightScales: [Float]) {
    let perChannel = weightScales.count > 1
    scales =
      perChannel
      ? bias.indices.map { inputScale * weightScales[$0 % weightScales.count] }
      : [inputScale * weightScales[0]]
    var quantized: [Int32] = []
    quantized.reserveCapacity(bias.count)
    for (index, value) in bias.enumerated() {
      let step = (Double(value) / Double(scales[perChannel ? index : 0])).rounded(.toNearestOrEven)
      guard step.isFinite, abs(step) <= Double(Int32.max) else { return nil }
      quantized.append(Int32(step))
    }
    values = quantized
  }
}
