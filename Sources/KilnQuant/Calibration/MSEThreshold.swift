// The threshold that minimizes the expected squared error of 8-bit quantization.

/// Chooses a clipping threshold `t` from the histogram of magnitudes, minimizing
///
///     E(t) = Σ_{c_k ≤ t} n_k · s²/12  +  Σ_{c_k > t} n_k · (c_k − t)²
///
/// over `t = i·w`, where `c_k` is the center of magnitude bin `k`, `n_k` its count and
/// `s = span / 255` the quantization step (span `t` for a tensor that is never negative, else
/// `2t`): rounding error inside the range, clipping error outside. Suffix sums make each
/// candidate O(1); the first minimum wins.
enum MSEThreshold {
  static func threshold(_ histogram: TensorHistogram, nonnegative: Bool) -> Double {
    let magnitudes = histogram.magnitudeCounts
    let used = (magnitudes.lastIndex { $0 > 0 } ?? 0) + 1
    let width = histogram.binWidth
    // Suffix sums of n, n·c and n·c² from bin k on.
    var counts = [Double](repeating: 0, count: used + 1)
    var firsts = counts, seconds = counts
    for k in stride(from: used - 1, through: 0, by: -1) {
      let center = (Double(k) + 0.5) * width
      counts[k] = counts[k + 1] + magnitudes[k]
      firsts[k] = firsts[k + 1] + magnitudes[k] * center
      seconds[k] = seconds[k + 1] + magnitudes[k] * center * center
    }
    var best = (bins: used, error: Double.infinity)
    for bins in 1...used {
      let t = Double(bins) * width
      let step = (nonnegative ? t : 2 * t) / 255
      let rounding = (counts[0] - counts[bins]) * step * step / 12
      let clipping = seconds[bins] - 2 * t * firsts[bins] + t * t * counts[bins]
      if rounding + clipping < best.error { best = (bins, rounding + clipping) }
    }
    return Double(best.bins) * width
  }
}
