// DFT (radix-2 and Bluestein lengths, onesided, inverse), STFT, windows and MelWeightMatrix.

import Foundation
import KilnIR
import KilnRuntime
import Testing

private func close(_ actual: [Float]?, _ expected: [Float], tolerance: Float = 1e-4) -> Bool {
  guard let actual, actual.count == expected.count else { return false }
  return zip(actual, expected).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

/// `values` as a real signal `[1, n, 1]`.
private func realSignal(_ values: [Float]) throws -> HostTensor {
  try HostTensor(shape: [1, values.count, 1], values: values)
}

@Test func dftOfFourPointsFullOnesidedAndInverse() throws {
  let signal = try realSignal([1, 2, 3, 4])
  let full = try kernelOutputs("DFT", opset: 17, [signal])[0]
  #expect(full?.shape == [1, 4, 2])
  #expect(close(full?.scalars(as: Float.self), [10, 0, -2, 2, -2, 0, -2, -2]))
  let half = try kernelOutputs("DFT", opset: 17, [signal], attributes: [Attribute("onesided", .int(1))])[0]
  #expect(half?.shape == [1, 3, 2])
  let spectrum = try HostTensor(shape: [1, 4, 2], values: [Float(10), 0, -2, 2, -2, 0, -2, -2])
  let back = try kernelOutputs("DFT", opset: 17, [spectrum], attributes: [Attribute("inverse", .int(1))])[0]
  #expect(close(back?.scalars(as: Float.self), [1, 0, 2, 0, 3, 0, 4, 0]))
  // The half spectrum of a real signal gives the signal back, 2 · (3 − 1) points long.
  let halfSpectrum = try HostTensor(shape: [1, 3, 2], values: [Float(10), 0, -2, 2, -2, 0])
  let real = try kernelOutputs(
    "DFT", opset: 17, [halfSpectrum], attributes: [Attribute("inverse", .int(1)), Attribute("onesided", .int(1))])[0]
  #expect(real?.shape == [1, 4, 1])
  #expect(close(real?.scalars(as: Float.self), [1, 2, 3, 4]))
}

@Test func dftOfOddLengthsMatchesTheDefinition() throws {
  let three = try kernelOutputs("DFT", opset: 17, [try realSignal([1, 2, 3])])[0]
  #expect(close(three?.scalars(as: Float.self), [6, 0, -1.5, 0.8660254, -1.5, -0.8660254]))
  // Seven complex points, padded to dft_length 9, against the O(n²) sum written out here.
  let values: [Float] = (0..<14).map { Float(($0 * 37) % 11) - 5 }
  let input = try HostTensor(shape: [1, 7, 2], values: values)
  let output = try kernelOutputs("DFT", opset: 17, [input, try HostTensor(scalar: Int64(9))])[0]
  var expected: [Float] = []
  for k in 0..<9 {
    var (re, im) = (0.0, 0.0)
    for t in 0..<7 {
      let angle = -2 * Double.pi * Double(k * t) / 9
      let (a, b) = (Double(values[2 * t]), Double(values[2 * t + 1]))
      re += a * cos(angle) - b * sin(angle)
      im += a * sin(angle) + b * cos(angle)
    }
    expected += [Float(re), Float(im)]
  }
  #expect(output?.shape == [1, 9, 2])
  #expect(close(output?.scalars(as: Float.self), expected))
}

@Test func dftTakesItsAxisAsAnInputFrom20() throws {
  // [2, 2, 1]: the transform runs along axis 0, pairing 1 with 3 and 2 with 4.
  let input = try HostTensor(shape: [2, 2, 1], values: [Float(1), 2, 3, 4])
  let output = try kernelOutputs("DFT", opset: 20, [input, nil, try HostTensor(scalar: Int64(0))])[0]
  #expect(output?.shape == [2, 2, 2])
  #expect(close(output?.scalars(as: Float.self), [4, 0, 6, 0, -2, 0, -2, 0]))
}

@Test func dftRejectsTheComponentAxisAndBadLengths() throws {
  let signal = try realSignal([1, 2])
  #expect(throws: KilnError.self) { try kernelOutputs("DFT", opset: 17, [signal], attributes: [Attribute("axis", .int(2))]) }
  #expect(throws: KilnError.self) { try kernelOutputs("DFT", opset: 17, [signal, try HostTensor(scalar: Int64(0))]) }
  #expect(throws: KilnError.self) {
    try kernelOutputs("DFT", opset: 17, [try HostTensor(shape: [1, 2, 3], values: [Float](repeating: 0, count: 6))])
  }
  // An empty half spectrum with an explicit length is all zeros, read from nowhere.
  let empty = try HostTensor(zeros: .float, shape: [1, 0, 2])
  let zeros = try kernelOutputs(
    "DFT", opset: 17, [empty, try HostTensor(scalar: Int64(4))],
    attributes: [Attribute("inverse", .int(1)), Attribute("onesided", .int(1))])[0]
  #expect(zeros?.scalars(as: Float.self) == [0, 0, 0, 0])
}

@Test func stftFramesWindowsAndKeepsTheOnesidedBins() throws {
  let signal = try realSignal([1, 2, 3, 4])
  let step = try HostTensor(scalar: Int64(2))
  let plain = try kernelOutputs("STFT", opset: 17, [signal, step, nil, try HostTensor(scalar: Int64(2))])[0]
  #expect(plain?.shape == [1, 2, 2, 2])
  #expect(close(plain?.scalars(as: Float.self), [3, 0, -1, 0, 7, 0, -1, 0]))
  let window = try HostTensor(shape: [2], values: [Float(1), 0])
  let windowed = try kernelOutputs("STFT", opset: 17, [signal, step, window])[0]
  #expect(close(windowed?.scalars(as: Float.self), [1, 0, 1, 0, 3, 0, 3, 0]))
  #expect(throws: KilnError.self) {
    try kernelOutputs("STFT", opset: 17, [signal, step, nil, try HostTensor(scalar: Int64(5))])
  }
  #expect(throws: KilnError.self) { try kernelOutputs("STFT", opset: 17, [signal, step]) }
}

@Test func windowsArePeriodicOrSymmetric() throws {
  let four = try HostTensor(scalar: Int32(4))
  #expect(close(try kernelOutputs("HannWindow", opset: 17, [four])[0]?.scalars(as: Float.self), [0, 0.5, 1, 0.5]))
  let symmetric = try kernelOutputs(
    "HannWindow", opset: 17, [try HostTensor(scalar: Int32(3))], attributes: [Attribute("periodic", .int(0))])[0]
  #expect(close(symmetric?.scalars(as: Float.self), [0, 1, 0]))
  let hamming = try kernelOutputs("HammingWindow", opset: 17, [try HostTensor(scalar: Int64(2))])[0]
  #expect(close(hamming?.scalars(as: Float.self), [4.0 / 46, 1]))
  let blackman = try kernelOutputs(
    "BlackmanWindow", opset: 17, [four], attributes: [Attribute("output_datatype", .int(11))])[0]
  #expect(blackman?.dataType == .double)
  #expect(close(blackman?.scalars(as: Double.self).map(Float.init), [0, 0.34, 1, 0.34]))
  #expect(throws: KilnError.self) { try kernelOutputs("HannWindow", opset: 17, [try HostTensor(scalar: Int32(-1))]) }
}

@Test func melWeightMatrixHasUnitPeakTriangles() throws {
  let inputs = [
    try HostTensor(scalar: Int32(8)), try HostTensor(scalar: Int32(16)), try HostTensor(scalar: Int32(8192)),
    try HostTensor(scalar: Float(0)), try HostTensor(scalar: Float(4096)),
  ]
  let matrix = try kernelOutputs("MelWeightMatrix", opset: 17, inputs)[0]
  #expect(matrix?.shape == [9, 8])
  let values = matrix?.scalars(as: Float.self) ?? []
  #expect(Array(values[0..<16]) == [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0])
  #expect(values.reduce(0, +) == 8)
  var beyond = inputs
  beyond[4] = try HostTensor(scalar: Float(100_000))
  #expect(throws: KilnError.self) { try kernelOutputs("MelWeightMatrix", opset: 17, beyond) }
  var huge = inputs
  huge[0] = try HostTensor(scalar: Int64(0))
  huge[1] = try HostTensor(scalar: Int64.max)
  #expect(throws: KilnError.self) { try kernelOutputs("MelWeightMatrix", opset: 17, huge) }
}
