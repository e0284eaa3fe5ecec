// The entropy (KL divergence) threshold search of TensorRT's calibrator, on magnitudes.

import Foundation

/// Chooses a clipping threshold `t` for a tensor from the histogram of its magnitudes.
///
/// For each candidate `t = i·w` (i from `levels` to the last nonzero bin), the reference `P` is
/// the first `i` bins with everything beyond folded into bin `i-1` (clipping), and `Q` is those
/// `i` bins merged into `levels` levels and spread back evenly over the bins where `P` is
/// nonzero (what 8-bit quantization keeps). The chosen `t` minimizes KL(P ‖ Q); the first
/// minimum wins. `levels` is 128, the levels of one sign of int8, except for a tensor that
/// never goes below zero: asymmetric quantization spends all 256 levels on `[0, t]`, as the
/// MSE threshold assumes too.
///
/// Bin 0 is given bin 1's count before the search, as NVIDIA's pytorch-quantization entropy
/// calibrator does: a ReLU output's exact zeros (often most of its values) all land in bin 0,
/// and zero is exact in every quantization, yet that spike would dominate P and pull the
/// threshold in, clipping the values that carry the signal.
enum EntropyThreshold {
  static func threshold(_ histogram: TensorHistogram, nonnegative: Bool) -> Double {
    let levels = nonnegative ? 256 : 128
    var magnitudes = histogram.magnitudeCounts
    if magnitudes.count > 1 { magnitudes[0] = magnitudes[1] }
    let used = (magnitudes.lastIndex { $0 > 0 } ?? 0) + 1
    guard used > levels else { return Double(used) * histogram.binWidth }
    let total = magnitudes.reduce(0, +)
    var best = (bins: used, divergence: Double.infinity)
    var beyond = magnitudes[levels...].reduce(0, +)
    for bins in levels...used {
      let divergence = self.divergence(magnitudes[..<bins], beyond: beyond, total: total, levels: levels)
      if divergence < best.divergence { best = (bins, divergence) }
      if bins < magnitudes.count { beyond -= magnitudes[bins] }
    }
    return Double(best.bins) * histogram.binWidth
  }

  /// KL(P ‖ Q) for the first `bins.count` bins, with `beyond` (the count past them) clipped
  /// into the last. A level whose bins `P` has mass in but `Q` none (only the clipped last bin
  /// can be) gets a small floor instead of zero, so that clipping costs but stays finite.
  static func divergence(_ bins: ArraySlice<Double>, beyond: Double, total: Double, levels: Int) -> Double {
    var reference = Array(bins)
    reference[reference.count - 1] += beyond
    var candidate = [Double](repeating: 0, count: reference.count)
    let width = Double(reference.count) / Double(levels)
    for level in 0..<levels {
      let start = Int((Double(level) * width).rounded(.down))
      let end = level == levels - 1 ? reference.count : Int((Double(level + 1) * width).rounded(.down))
      let nonzero = (start..<end).filter { reference[$0] > 0 }
      guard !nonzero.isEmpty else { continue }
      let mass = bins[bins.startIndex + start..<bins.startIndex + end].reduce(0, +)
      for index in nonzero { candidate[index] = mass / Double(nonzero.count) }
    }
    let floor = 1e-4 / total
    var divergence: Double = 0
    for (p, q) in zip(reference, candidate) where p > 0 {
      divergence += p / total * log((p / total) / max(q / total, floor))
    }
    return divergence
  }
}
