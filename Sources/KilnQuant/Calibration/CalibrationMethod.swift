// How a tensor's range is chosen from its histogram: min-max, percentile, entropy or MSE.

import KilnIR

/// The ways of choosing a tensor's quantization range from its calibration histogram.
public enum CalibrationMethod: Equatable, Sendable {
  /// The exact minimum and maximum: covers every value, outliers included.
  case minmax
  /// Drops `(100 - percentile)`% of the values on each side (default 99.999).
  case percentile(Double)
  /// The threshold whose 8-bit quantization of the clipped distribution loses the least
  /// information (KL divergence), as TensorRT's entropy calibrator chooses it (128 levels;
  /// 256 for a tensor that never goes below zero; the spike of exact zeros left out).
  case entropy
  /// The symmetric threshold with the least expected squared error of 8-bit quantization.
  case mse

  /// The percentile used unless another is given.
  public static let defaultPercentile = 99.999

  /// The method named `name` (`minmax`, `percentile`, `entropy`, `mse`).
  public init(name: String, percentile: Double = defaultPercentile) throws {
    switch name {
    case "minmax": self = .minmax
    case "percentile":
      guard percentile > 50, percentile <= 100 else {
        throw KilnError.badInput("the percentile must be above 50 and at most 100, not \(percentile)")
      }
      self = .percentile(percentile)
    case "entropy": self = .entropy
    case "mse": self = .mse
    default:
      throw KilnError.badInput(
        "unknown calibration method '\(name)'", hint: "use minmax, percentile, entropy or mse")
    }
  }

  /// The method as text: `minmax`, `entropy`, `mse`, or `percentile:P`.
  public var text: String {
    switch self {
    case .minmax: "minmax"
    case .percentile(let percentile): "percentile:\(percentile)"
    case .entropy: "entropy"
    case .mse: "mse"
    }
  }

  /// Parses `text` as written by `text` (`percentile` alone takes the default percentile).
  public init(text: String) throws {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    guard let name = parts.first else { throw KilnError.badInput("the calibration method is empty") }
    guard parts.count == 1 || name == "percentile", let percentile = Double(parts.count == 2 ? parts[1] : "\(Self.defaultPercentile)")
    else {
      throw KilnError.badInput("'\(text)' is not a calibration method", hint: "use minmax, percentile[:P], entropy or mse")
    }
    try self.init(name: name, percentile: percentile)
  }

  /// The range this method picks for `histogram`, always within the exact minimum and
  /// maximum; `[0, 0]` for a tensor that never held a finite value.
  public func range(of histogram: TensorHistogram) -> TensorRange {
    guard let exact = histogram.valueRange else { return TensorRange(min: 0, max: 0) }
    switch self {
    case .minmax:
      return exact
    case .percentile(let percentile):
      return Self.percentileRange(histogram, percentile: percentile, within: exact)
    case .entropy:
      return Self.clip(exact, to: EntropyThreshold.threshold(histogram, nonnegative: exact.min >= 0))
    case .mse:
      return Self.clip(exact, to: MSEThreshold.threshold(histogram, nonnegative: exact.min >= 0))
    }
  }

  /// `exact` cut to `[-threshold, threshold]`.
  static func clip(_ exact: TensorRange, to threshold: Double) -> TensorRange {
    let limit = Float(threshold)
    return TensorRange(min: max(exact.min, -limit), max: min(exact.max, limit))
  }

  /// From the upper edge of the bin where the count below reaches `percentile`%, and the
  /// lower edge of the bin where the count above does, each kept inside `exact`.
  private static func percentileRange(
    _ histogram: TensorHistogram, percentile: Double, within exact: TensorRange
  ) -> TensorRange {
    let kept = Double(histogram.count) * percentile / 100
    var running: Double = 0
    var upper = exact.max
    for (index, count) in histogram.counts.enumerated() {
      running += Double(count)
      if running >= kept {
        upper = min(exact.max, Float(histogram.lowerEdge(ofBin: index + 1)))
        break
      }
    }
    running = 0
    var lower = exact.min
    for (index, count) in histogram.counts.enumerated().reversed() {
      running += Double(count)
      if running >= kept {
        lower = max(exact.min, Float(histogram.lowerEdge(ofBin: index)))
        break
      }
    }
    return TensorRange(min: min(lower, upper), max: max(lower, upper))
  }
}
