// A fast complex discrete Fourier transform of any length, for the signal kernels.

import Foundation

/// The complex DFT of one fixed length, planned once and applied to many lines:
///
///     X[k] = Σ_t x[t] · e^(−2πi·kt/n)          (forward)
///     x[t] = (1/n) Σ_k X[k] · e^(+2πi·kt/n)    (inverse)
///
/// Power-of-two lengths run an iterative radix-2 FFT. Other lengths use Bluestein's chirp-z
/// identity kt = (k² + t² − (k−t)²)/2, which turns the DFT into a convolution with the chirp
/// w[k] = e^(−πi·k²/n), done as a radix-2 FFT of a power-of-two size m ≥ 2n − 1. Both are
/// O(n log n). Arithmetic is in Double; the caller converts to and from the tensor's type.
struct FourierTransform {
  let length: Int
  /// The power-of-two size the radix-2 stages run at.
  private let size: Int
  /// cos and sin of 2πj/size for j < size/2.
  private let cosines: [Double]
  private let sines: [Double]
  /// For Bluestein: the chirp w[k] for k < length, and the FFT of its conjugate laid out
  /// symmetrically (b[k] = b[size − k]), the filter the convolution multiplies by.
  private let chirp: (re: [Double], im: [Double])?
  private let filter: (re: [Double], im: [Double])?

  /// Plans a transform of `length` (at least 1) points.
  init(length: Int) {
    self.length = length
    let isPowerOfTwo = length & (length - 1) == 0
    var size = 1
    while size < (isPowerOfTwo ? length : 2 * length - 1) { size *= 2 }
    self.size = size
    let angles = (0..<(size / 2)).map { 2 * Double.pi * Double($0) / Double(size) }
    cosines = angles.map { cos($0) }
    sines = angles.map { sin($0) }
    guard !isPowerOfTwo else {
      chirp = nil
      filter = nil
      return
    }
    // k² mod 2n, kept exact by stepping (k+1)² = k² + 2k + 1, gives the chirp's angle.
    var chirpRe = [Double](repeating: 0, count: length)
    var chirpIm = [Double](repeating: 0, count: length)
    var square = 0
    for k in 0..<length {
      let angle = Double.pi * Double(square) / Double(length)
      chirpRe[k] = cos(angle)
      chirpIm[k] = -sin(angle)
      square = (square + 2 * k + 1) % (2 * length)
    }
    var filterRe = [Double](repeating: 0, count: size)
    var filterIm = [Double](repeating: 0, count: size)
    for k in 0..<length {
      filterRe[k] = chirpRe[k]
      filterIm[k] = -chirpIm[k]
      if k > 0 {
        filterRe[size - k] = chirpRe[k]
        filterIm[size - k] = -chirpIm[k]
      }
    }
    chirp = (chirpRe, chirpIm)
    let plan = FourierTransform(radix2Size: size, cosines: cosines, sines: sines)
    plan.radix2(&filterRe, &filterIm)
    filter = (filterRe, filterIm)
  }

  /// A bare radix-2 plan sharing twiddle tables.
  private init(radix2Size size: Int, cosines: [Double], sines: [Double]) {
    length = size
    self.size = size
    self.cosines = cosines
    self.sines = sines
    chirp = nil
    filter = nil
  }

  /// Transforms `re` and `im` (each `length` long) in place.
  func forward(_ re: inout [Double], _ im: inout [Double]) {
    guard let chirp, let filter else { return radix2(&re, &im) }
    var workRe = [Double](repeating: 0, count: size)
    var workIm = [Double](repeating: 0, count: size)
    for k in 0..<length {
      workRe[k] = re[k] * chirp.re[k] - im[k] * chirp.im[k]
      workIm[k] = re[k] * chirp.im[k] + im[k] * chirp.re[k]
    }
    radix2(&workRe, &workIm)
    for k in 0..<size {
      let (a, b) = (workRe[k], workIm[k])
      // Multiplying by the filter, conjugated, so that one more forward FFT inverts.
      workRe[k] = a * filter.re[k] - b * filter.im[k]
      workIm[k] = -(a * filter.im[k] + b * filter.re[k])
    }
    radix2(&workRe, &workIm)
    let scale = 1 / Double(size)
    for k in 0..<length {
      let (a, b) = (workRe[k] * scale, -workIm[k] * scale)
      re[k] = a * chirp.re[k] - b * chirp.im[k]
      im[k] = a * chirp.im[k] + b * chirp.re[k]
    }
  }

  /// The inverse transform, scaled by 1/length, in place.
  func inverse(_ re: inout [Double], _ im: inout [Double]) {
    for k in 0..<length { im[k] = -im[k] }
    forward(&re, &im)
    let scale = 1 / Double(length)
    for k in 0..<length {
      re[k] *= scale
      im[k] = -im[k] * scale
    }
  }

  /// The iterative radix-2 FFT of `size` points: bit-reversed order, then log2(size) stages
  /// of butterflies.
  private func radix2(_ re: inout [Double], _ im: inout [Double]) {
    var reversed = 0
    for index in 1..<max(1, size) {
      var bit = size >> 1
      while reversed & bit != 0 {
        reversed ^= bit
        bit >>= 1
      }
      reversed |= bit
      if index < reversed {
        re.swapAt(index, reversed)
        im.swapAt(index, reversed)
      }
    }
    var span = 2
    while span <= size {
      let half = span / 2
      let step = size / span
      for start in stride(from: 0, to: size, by: span) {
        for offset in 0..<half {
          let (wr, wi) = (cosines[offset * step], -sines[offset * step])
          let (top, bottom) = (start + offset, start + offset + half)
          let tr = re[bottom] * wr - im[bottom] * wi
          let ti = re[bottom] * wi + im[bottom] * wr
          re[bottom] = re[top] - tr
          im[bottom] = im[top] - ti
          re[top] += tr
          im[top] += ti
        }
      }
      span *= 2
    }
  }
}
