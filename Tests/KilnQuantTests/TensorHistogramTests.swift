// Histograms: exact bins, exact growth by doubling, merging equal to one pass, odd values.

import Foundation
import KilnIR
import KilnRuntime
import Testing

@testable import KilnQuant

private func histogram(_ values: [Float], bins: Int = 8) throws -> TensorHistogram {
  var histogram = try TensorHistogram(binCount: bins)
  values.withUnsafeBufferPointer { histogram.add($0) }
  return histogram
}

/// The histogram as a statistics file writes it.
private func json(_ histogram: TensorHistogram) -> Data {
  var writer = StatisticsJSONWriter()
  writer.write(histogram)
  return Data(writer.bytes)
}

/// Seeded values spread over several magnitudes, so that merging must coarsen.
private func spreadValues(count: Int, seed: UInt64) -> [Float] {
  var generator = SplitMix64(seed: seed)
  return (0..<count).map { _ in
    Float(Double.random(in: -1..<1, using: &generator) * pow(2, Double(generator.next() % 12)))
  }
}

@Suite struct TensorHistogramTests {
  @Test func valuesLandInTheirBinsBelowTheNextPowerOfTwo() throws {
    let h = try histogram([-1.5, -0.25, 0, 0.5, 1.75])
    #expect(h.rangeExponent == 1, "R = 2 is the smallest power of two above 1.75")
    #expect(h.binWidth == 0.5)
    #expect(h.counts == [0, 1, 0, 1, 1, 1, 0, 1])
    #expect(h.count == 5 && h.minimum == -1.5 && h.maximum == 1.75)
  }

  @Test func aValueAtAPowerOfTwoDoublesTheRange() throws {
    let h = try histogram([2, -2])
    #expect(h.rangeExponent == 2)
    #expect(h.counts == [0, 0, 1, 0, 0, 0, 1, 0], "-2 opens bin [-2, -1), 2 opens [2, 3)")
  }

  @Test func growingMergesAdjacentBinPairs() throws {
    var h = try histogram([-1.5, -0.25, 0, 0.5, 1.75])
    [Float(7)].withUnsafeBufferPointer { h.add($0) }
    #expect(h.rangeExponent == 3)
    #expect(h.counts == [0, 0, 0, 2, 3, 0, 0, 1])
  }

  @Test func mergedPartsEqualOnePassOverAllValues() throws {
    let values = spreadValues(count: 3000, seed: 7)
    let whole = try histogram(values, bins: 256)
    var merged = try histogram(Array(values[2000...]), bins: 256)
    try merged.merge(histogram(Array(values[..<500]), bins: 256))
    try merged.merge(histogram(Array(values[500..<2000]), bins: 256))
    #expect(merged == whole)
    #expect(json(merged) == json(whole))
  }

  /// Large enough for the interleaved per-lane counts (at least 8 values per bin), with runs
  /// of zeros as a ReLU output has, negative fractions, NaN and infinities; every bin checked
  /// against floor(x / w) computed independently.
  @Test func aLargeTensorLandsInTheBinsFloorGives() throws {
    var values = spreadValues(count: 40_000, seed: 3)
    for index in stride(from: 0, to: values.count, by: 3) { values[index] = 0 }
    values[5] = .nan
    values[6] = -.infinity
    let h = try histogram(values, bins: 1024)
    var expected = [UInt64](repeating: 0, count: 1024)
    for x in values where x.isFinite { expected[Int((Double(x) / h.binWidth).rounded(.down)) + 512] += 1 }
    #expect(h.counts == expected)
    #expect(h.count == UInt64(values.count - 2) && h.nanCount == 1 && h.infinityCount == 1)
    #expect(h.minimum == values.filter(\.isFinite).min() && h.maximum == values.filter(\.isFinite).max())
  }

  /// Bins wider than 1 (a range of ±4096 over 1024 bins): x / w of the smallest negative
  /// subnormal is still below zero, so it lands in the bin below the middle, not in the middle.
  @Test func wideBinsKeepTinyNegativeValuesBelowZero() throws {
    var values = spreadValues(count: 40_000, seed: 5).map { $0 * 3000 }
    for index in stride(from: 1, to: values.count, by: 7) { values[index] = -.leastNonzeroMagnitude }
    let h = try histogram(values, bins: 1024)
    #expect(h.binWidth > 1)
    var expected = [UInt64](repeating: 0, count: 1024)
    for x in values { expected[Int((Double(x) / h.binWidth).rounded(.down)) + 512] += 1 }
    #expect(h.counts == expected)
    #expect(h.counts[511] >= UInt64(values.count / 7))
  }

  @Test func largeTensorsInsideTheBinsAndBeyondThemLandWhereFloorSays() throws {
    var h = try TensorHistogram(binCount: 1024)
    var inside = spreadValues(count: 30_000, seed: 7).map { $0 / 4096 * 3 }
    inside[10] = .nan
    inside[11] = .infinity
    inside[12] = -0.0
    inside.withUnsafeBufferPointer { h.add($0) }
    let exponent = h.rangeExponent
    var within = inside.map { -$0 * 0.999 }
    within[20] = Float(-h.range).nextUp
    within.withUnsafeBufferPointer { h.add($0) }
    #expect(h.rangeExponent == exponent, "the second tensor fits the bins the first one set")
    var beyond = within
    beyond[30] = Float(-h.range)
    beyond.withUnsafeBufferPointer { h.add($0) }
    #expect(h.rangeExponent == exponent + 1, "a value at -R widens the bins")
    var expected = [UInt64](repeating: 0, count: 1024)
    for x in inside + within + beyond where x.isFinite {
      expected[Int((Double(x) / h.binWidth).rounded(.down)) + 512] += 1
    }
    #expect(h.counts == expected)
    #expect(h.nanCount == 3 && h.infinityCount == 3 && h.count == UInt64(3 * inside.count - 6))
    #expect(h.minimum == Float(-h.range / 2) && h.maximum == (inside + within).filter(\.isFinite).max())
  }

  @Test func nanAndInfinityAreCountedApart() throws {
    let h = try histogram([.nan, .infinity, -.infinity, 1, .nan])
    #expect(h.nanCount == 2 && h.infinityCount == 2 && h.count == 1)
    #expect(h.valueRange == TensorRange(min: 1, max: 1))
    let none = try histogram([.nan])
    #expect(none.valueRange == nil && none.counts.allSatisfy { $0 == 0 })
  }

  @Test func hugeAndTinyValuesFitTheBins() throws {
    let h = try histogram([Float.greatestFiniteMagnitude, -Float.leastNonzeroMagnitude, 0])
    #expect(h.rangeExponent == 128)
    #expect(h.counts.reduce(0, +) == 3)
    #expect(try histogram([1e-35]).rangeExponent == TensorHistogram.smallestExponent)
  }

  @Test func binCountsMustBePowersOfTwo() throws {
    for bins in [0, 1, 6, -4] {
      #expect(throws: KilnError.self) { try TensorHistogram(binCount: bins) }
    }
    var eight = try histogram([1], bins: 8)
    let sixteen = try histogram([1], bins: 16)
    #expect(throws: KilnError.self) { try eight.merge(sixteen) }
  }

  @Test func jsonKeepsTheNonzeroBinsAndTheShortestFloats() throws {
    let h = try histogram([-0.0, 1e-31, 2e-30, 3e8, 2], bins: 8)
    #expect(String(decoding: json(h), as: UTF8.self) == """
      {"bins":8,"count":5,"counts":[4,0,1],"firstBin":4,"infinityCount":0,"max":3e+08,"min":-0,\
      "nanCount":0,"rangeExponent":29}
      """)
    #expect(String(decoding: json(try histogram([.nan])), as: UTF8.self) == """
      {"bins":8,"count":0,"counts":[],"firstBin":0,"infinityCount":0,"nanCount":1,"rangeExponent":-100}
      """)
  }

  @Test func jsonRoundTripsAndDamageIsRefused() throws {
    let h = try histogram(spreadValues(count: 100, seed: 1), bins: 64)
    let data = json(h)
    #expect(try JSONDecoder().decode(TensorHistogram.self, from: data) == h)
    let damaged = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"count\":100", with: "\"count\":99")
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(TensorHistogram.self, from: Data(damaged.utf8)) }
  }
}
