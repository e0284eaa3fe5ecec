// Signal processing ops: DFT, STFT, the Hann, Hamming and Blackman windows, MelWeightMatrix.

import Foundation
import KilnIR

extension KernelFamily {
  /// DFT (opset 17, and 20 where the axis became an input), STFT, the window generators and
  /// the mel filter bank. Signals are `[..., 1]` (real) or `[..., 2]` (real and imaginary
  /// parts); transforms run in Double through `FourierTransform` and round to the input type.
  static let signal = KernelFamily { registry in
    registry.register("DFT", dftKernel)
    registry.register("STFT", stftKernel)
    registry.register("HannWindow") { invocation in
      try windowKernel(invocation) { phase in pow(sin(phase / 2), 2) }
    }
    registry.register("HammingWindow") { invocation in
      try windowKernel(invocation) { phase in 25.0 / 46.0 - 21.0 / 46.0 * cos(phase) }
    }
    registry.register("BlackmanWindow") { invocation in
      try windowKernel(invocation) { phase in 0.42 - 0.5 * cos(phase) + 0.08 * cos(2 * phase) }
    }
    registry.register("MelWeightMatrix", melWeightMatrixKernel)
  }

  /// DFT along `axis` of a real or complex signal, zero-padded or cut to `dft_length`;
  /// `onesided` keeps the n/2 + 1 non-redundant bins (forward) or, with `inverse`, takes them
  /// as the half spectrum of a real signal and returns that signal (n real values).
  private static func dftKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let input = try invocation.input(0)
    let signal = try ComplexSignal(input, invocation)
    let axisValue =
      invocation.opset >= 20
      ? try invocation.optionalInput(2).map { try invocation.scalarInteger($0, named: "axis") } ?? -2
      : invocation.int("axis", default: 1)
    let axis = try invocation.axis(axisValue, rank: input.rank)
    guard axis < input.rank - 1 else {
      throw invocation.failure("axis \(axisValue) is the real/imaginary dimension, not a signal axis")
    }
    let inverse = invocation.int("inverse", default: 0) != 0
    let onesided = invocation.int("onesided", default: 0) != 0
    let available = input.shape[axis]
    let length = try invocation.optionalInput(1).map { try invocation.scalarInteger($0, named: "dft_length") }
      ?? (inverse && onesided ? 2 * (available - 1) : available)
    guard length >= 1 else { throw invocation.failure("dft_length must be positive, not \(length)") }
    var shape = input.shape
    shape[axis] = onesided && !inverse ? length / 2 + 1 : length
    shape[shape.count - 1] = onesided && inverse ? 1 : 2
    let output = try HostTensor(zeros: input.dataType, shape: shape)
    let transform = FourierTransform(length: length)
    let lines = Lanes(complexShape: input.shape, axis: axis)
    let outputLines = Lanes(complexShape: shape, axis: axis)
    var result = [Double](repeating: 0, count: output.elementCount)
    for line in 0..<lines.count {
      var (re, im) = signal.line(line, lines: lines, count: length)
      if inverse && onesided { completeHermitian(&re, &im, halfCount: max(1, min(available, length / 2 + 1))) }
      if inverse { transform.inverse(&re, &im) } else { transform.forward(&re, &im) }
      for bin in 0..<shape[axis] {
        let offset = outputLines.index(lane: line, position: bin) * shape[shape.count - 1]
        result[offset] = re[bin]
        if shape[shape.count - 1] == 2 { result[offset + 1] = im[bin] }
      }
    }
    try output.store(result, invocation: invocation)
    return [output]
  }

  /// Fills bins from `halfCount` (at least 1) on with the conjugates of their mirrors,
  /// X[n − k] = X[k]*, so that an inverse transform of the half spectrum of a real signal
  /// gives it back.
  private static func completeHermitian(_ re: inout [Double], _ im: inout [Double], halfCount: Int) {
    let count = re.count
    for bin in halfCount..<max(halfCount, count) {
      re[bin] = re[count - bin]
      im[bin] = -im[count - bin]
    }
  }

  /// STFT of `signal` `[batch, length, 1 or 2]`: frames of `frame_length` taken every
  /// `frame_step`, each multiplied by `window` when given, transformed; the output is
  /// `[batch, frames, bins, 2]` with n/2 + 1 bins when `onesided` (the default).
  private static func stftKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let input = try invocation.input(0)
    guard input.rank == 3 else { throw invocation.failure("signal must be [batch, length, 1 or 2], not \(input.shape)") }
    let signal = try ComplexSignal(input, invocation)
    let step = try invocation.scalarInteger(try invocation.input(1), named: "frame_step")
    let window = try invocation.optionalInput(2).map { try invocation.doubleValues(of: $0) }
    let givenLength = try invocation.optionalInput(3).map { try invocation.scalarInteger($0, named: "frame_length") }
    guard let frameLength = givenLength ?? window?.count else {
      throw invocation.failure("needs a window or a frame_length")
    }
    if let window, window.count != frameLength || invocation.optionalInput(2)?.rank != 1 {
      throw invocation.failure("window of \(window.count) does not match frame_length \(frameLength)")
    }
    let (batch, length) = (input.shape[0], input.shape[1])
    guard step >= 1, frameLength >= 1, frameLength <= length else {
      throw invocation.failure("frame_step \(step) and frame_length \(frameLength) do not fit a signal of \(length)")
    }
    let frames = (length - frameLength) / step + 1
    let bins = invocation.int("onesided", default: 1) != 0 ? frameLength / 2 + 1 : frameLength
    let output = try HostTensor(zeros: input.dataType, shape: [batch, frames, bins, 2])
    let transform = FourierTransform(length: frameLength)
    var result = [Double](repeating: 0, count: output.elementCount)
    let lines = Lanes(complexShape: input.shape, axis: 1)
    for item in 0..<batch {
      for frame in 0..<frames {
        var (re, im) = signal.line(item, lines: lines, count: frameLength, from: frame * step)
        if let window {
          for index in 0..<frameLength {
            re[index] *= window[index]
            im[index] *= window[index]
          }
        }
        transform.forward(&re, &im)
        let base = (item * frames + frame) * bins * 2
        for bin in 0..<bins {
          result[base + 2 * bin] = re[bin]
          result[base + 2 * bin + 1] = im[bin]
        }
      }
    }
    try output.store(result, invocation: invocation)
    return [output]
  }

  /// A window of `size` (input 0) points w[n] = f(2πn/N), N = size when `periodic` (the
  /// default) and size − 1 otherwise, in `output_datatype` (float by default). A symmetric
  /// window of one point is [1].
  private static func windowKernel(
    _ invocation: KernelInvocation, _ shape: (Double) -> Double
  ) throws -> [HostTensor?] {
    let size = try invocation.scalarInteger(try invocation.input(0), named: "size")
    guard size >= 0 else { throw invocation.failure("window size must not be negative, not \(size)") }
    let output = try HostTensor(zeros: try outputType(invocation), shape: [size])
    let period = Double(invocation.int("periodic", default: 1) != 0 ? size : size - 1)
    let values = (0..<size).map { period == 0 ? 1 : shape(2 * Double.pi * Double($0) / period) }
    try output.store(values, invocation: invocation)
    return [output]
  }

  /// The `[dft_length/2 + 1, num_mel_bins]` matrix of triangular filters, each peaking at 1,
  /// spaced evenly on the mel scale mel(f) = 2595 · log10(1 + f/700) between the lower and
  /// upper edge frequencies, as the ONNX reference computes it.
  private static func melWeightMatrixKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let melBins = try invocation.scalarInteger(try invocation.input(0), named: "num_mel_bins")
    let dftLength = try invocation.scalarInteger(try invocation.input(1), named: "dft_length")
    let sampleRate = try invocation.scalarInteger(try invocation.input(2), named: "sample_rate")
    let edges = try [3, 4].map { index in
      let values = try invocation.doubleValues(of: try invocation.input(index))
      guard values.count == 1, let value = values.first, value.isFinite else {
        throw invocation.failure("edge frequency must be one finite value")
      }
      return value
    }
    guard melBins >= 0, dftLength >= 1, sampleRate >= 1 else {
      throw invocation.failure("num_mel_bins \(melBins), dft_length \(dftLength), sample_rate \(sampleRate) are out of range")
    }
    let spectrumBins = dftLength / 2 + 1
    let output = try HostTensor(zeros: try outputType(invocation), shape: [spectrumBins, melBins])
    let points = try melPoints(count: melBins + 2, edges: (edges[0], edges[1]), dftLength: dftLength, sampleRate: sampleRate)
    guard points.allSatisfy({ 0..<spectrumBins ~= $0 }) else {
      throw invocation.failure("the edge frequencies fall outside the \(spectrumBins) spectrum bins")
    }
    var weights = [Double](repeating: 0, count: output.elementCount)
    for band in 0..<melBins {
      let (low, center, high) = (points[band], points[band + 1], points[band + 2])
      if center == low {
        weights[center * melBins + band] = 1
      } else {
        for bin in low...max(low, center) { weights[bin * melBins + band] = Double(bin - low) / Double(center - low) }
      }
      for bin in center..<max(center, high) { weights[bin * melBins + band] = Double(high - bin) / Double(high - center) }
    }
    try output.store(weights, invocation: invocation)
    return [output]
  }

  /// The spectrum bins of `count` points spaced evenly in mel from the lower edge; the step is
  /// the mel range over `count`, as in the ONNX reference.
  private static func melPoints(
    count: Int, edges: (Double, Double), dftLength: Int, sampleRate: Int
  ) throws -> [Int] {
    func mel(_ hertz: Double) -> Double { 2595 * log10(1 + hertz / 700) }
    let low = mel(edges.0)
    let step = (mel(edges.1) - low) / Double(count)
    return (0..<count).map { index in
      let hertz = 700 * (pow(10, (Double(index) * step + low) / 2595) - 1)
      let bin = ((Double(dftLength) + 1) * hertz / Double(sampleRate)).rounded(.down)
      return bin.isFinite && bin.magnitude < 1e15 ? Int(bin) : -1
    }
  }

  /// The `output_datatype` attribute (float by default), which must be a numeric type.
  private static func outputType(_ invocation: KernelInvocation) throws -> DataType {
    let type = DataType(rawValue: Int32(truncatingIfNeeded: invocation.int("output_datatype", default: 1)))
    guard type.numericType != nil else {
      throw invocation.failure("output_datatype \(type.name) is not a numeric type the runtime has")
    }
    return type
  }
}

/// A real (`[..., 1]`) or complex (`[..., 2]`) floating-point signal read as Doubles.
private struct ComplexSignal {
  private let values: [Double]
  private let components: Int

  init(_ tensor: HostTensor, _ invocation: KernelInvocation) throws {
    guard tensor.isFloatingPoint, tensor.rank >= 2, let last = tensor.shape.last, last == 1 || last == 2 else {
      throw invocation.failure(
        "needs a float signal whose last dimension is 1 (real) or 2 (complex), not \(tensor.dataType.name) \(tensor.shape)")
    }
    values = try invocation.doubleValues(of: tensor)
    components = last
  }

  /// `count` points of line `line` from position `start`, zero past the line's end.
  func line(_ line: Int, lines: Lanes, count: Int, from start: Int = 0) -> ([Double], [Double]) {
    var re = [Double](repeating: 0, count: count)
    var im = [Double](repeating: 0, count: count)
    for index in 0..<max(0, min(count, lines.length - start)) {
      let offset = lines.index(lane: line, position: start + index) * components
      re[index] = values[offset]
      if components == 2 { im[index] = values[offset + 1] }
    }
    return (re, im)
  }
}
