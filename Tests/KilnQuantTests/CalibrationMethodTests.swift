// Range methods on histograms with known answers: a planted outlier, kept or clipped.

import Foundation
import KilnIR
import KilnRuntime
import Testing

@testable import KilnQuant

/// `count` values evenly over [-1, 1), and one outlier.
private func uniformWithOutlier(count: Int, outlier: Float) throws -> TensorHistogram {
  var values = (0..<count).map { Float((Double($0) + 0.5) / Double(count) * 2 - 1) }
  values.append(outlier)
  var histogram = try TensorHistogram()
  values.withUnsafeBufferPointer { histogram.add($0) }
  return histogram
}

/// Seeded normal values (σ = 1), and one outlier.
private func normalWithOutlier(count: Int, outlier: Float) throws -> TensorHistogram {
  var generator = SplitMix64(seed: 3)
  var values = (0..<count).map { _ in
    Float(sqrt(-2 * log(Double.random(in: Double.ulpOfOne..<1, using: &generator)))
      * cos(2 * Double.pi * Double.random(in: 0..<1, using: &generator)))
  }
  values.append(outlier)
  var histogram = try TensorHistogram()
  values.withUnsafeBufferPointer { histogram.add($0) }
  return histogram
}

@Suite struct CalibrationMethodTests {
  @Test func minmaxKeepsTheOutlier() throws {
    let range = CalibrationMethod.minmax.range(of: try uniformWithOutlier(count: 1000, outlier: 100))
    #expect(range.max == 100 && range.min < -0.99)
  }

  @Test func percentileClipsARareOutlier() throws {
    let histogram = try uniformWithOutlier(count: 1_000_000, outlier: 100)
    let range = CalibrationMethod.percentile(CalibrationMethod.defaultPercentile).range(of: histogram)
    #expect(range == TensorRange(min: histogram.minimum, max: 1))
    #expect(CalibrationMethod.percentile(100).range(of: histogram).max == 100)
  }

  @Test func mseBalancesRoundingAgainstClippingTheOutlier() throws {
    // E(t) ≈ N·(2t/255)²/12 + (100 − t)² is least at t = 100 / (1 + N·4/(255²·12)) ≈ 16.33.
    let histogram = try uniformWithOutlier(count: 1_000_000, outlier: 100)
    let range = CalibrationMethod.mse.range(of: histogram)
    #expect(abs(range.max - 16.33) <= 0.125)
    #expect(range.min == histogram.minimum)
  }

  @Test func mseClipsANearOutlierAtTheEdgeOfTheBulk() throws {
    let range = CalibrationMethod.mse.range(of: try uniformWithOutlier(count: 1_000_000, outlier: 3))
    #expect(abs(range.max - 1) < 0.01, "the outlier is clipped, the uniform bulk kept")
  }

  @Test func entropyPicksAThresholdInsideTheRange() throws {
    let range = CalibrationMethod.entropy.range(of: try normalWithOutlier(count: 100_000, outlier: 100))
    #expect(range.max < 100 && range.max > 4, "clips the outlier, keeps the bell")
    #expect(range.min == -range.max || range.min > -range.max)
  }

  @Test func entropyOfANonnegativeTensorSearchesWith256Levels() throws {
    var generator = SplitMix64(seed: 5)
    let halfNormal = (0..<100_000).map { _ in
      Float(abs(sqrt(-2 * log(Double.random(in: Double.ulpOfOne..<1, using: &generator)))))
    } + [30]
    var histogram = try TensorHistogram()
    halfNormal.withUnsafeBufferPointer { histogram.add($0) }
    let asymmetric = EntropyThreshold.threshold(histogram, nonnegative: true)
    let symmetric = EntropyThreshold.threshold(histogram, nonnegative: false)
    #expect(asymmetric > symmetric, "twice the levels on [0, t] afford a wider t")
    #expect(asymmetric < 30, "the outlier is still clipped")
    #expect(CalibrationMethod.entropy.range(of: histogram).max == Float(min(asymmetric, Double(histogram.maximum))))
  }

  @Test func theZerosOfAReluOutputDoNotPullTheEntropyThresholdIn() throws {
    // Density 2(1 - x) on [0, 1): thinning out towards 1, as a ReLU output's positive side does.
    let triangular = (0..<100_000).map { Float(1 - sqrt(1 - Double($0) / 100_000)) }
    var dense = try TensorHistogram()
    triangular.withUnsafeBufferPointer { dense.add($0) }
    var relu = try TensorHistogram()
    (triangular + [Float](repeating: 0, count: 200_000)).withUnsafeBufferPointer { relu.add($0) }
    let threshold = EntropyThreshold.threshold(dense, nonnegative: true)
    #expect(threshold > 0.9, "256 levels afford nearly all of a thinning tail")
    #expect(EntropyThreshold.threshold(relu, nonnegative: true) == threshold, "twice as many zeros change nothing")
  }

  @Test func entropyKeepsAFewIsolatedValuesWhole() throws {
    var histogram = try TensorHistogram()
    [Float(0), 0.5, 1].withUnsafeBufferPointer { histogram.add($0) }
    #expect(CalibrationMethod.entropy.range(of: histogram) == TensorRange(min: 0, max: 1))
  }

  @Test func anEmptyHistogramGivesZero() throws {
    let empty = try TensorHistogram()
    for method in [CalibrationMethod.minmax, .percentile(99), .entropy, .mse] {
      #expect(method.range(of: empty) == TensorRange(min: 0, max: 0))
    }
  }

  @Test func methodsAreNamed() throws {
    #expect(try CalibrationMethod(name: "entropy") == .entropy)
    #expect(try CalibrationMethod(name: "percentile", percentile: 99.9) == .percentile(99.9))
    #expect(throws: KilnError.self) { try CalibrationMethod(name: "kl") }
    #expect(throws: KilnError.self) { try CalibrationMethod(name: "percentile", percentile: 101) }
  }

  @Test func methodsReadBackFromTheirText() throws {
    for method in [CalibrationMethod.minmax, .percentile(99.99), .entropy, .mse] {
      #expect(try CalibrationMethod(text: method.text) == method)
    }
    #expect(try CalibrationMethod(text: "percentile") == .percentile(CalibrationMethod.defaultPercentile))
    for text in ["", "minmax:3", "percentile:x", "percentile:20"] {
      #expect(throws: KilnError.self) { try CalibrationMethod(text: text) }
    }
  }
}
