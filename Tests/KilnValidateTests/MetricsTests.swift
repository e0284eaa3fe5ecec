// Each metric on small arrays whose values are worked out by hand.

import Foundation
import Testing

@testable import KilnValidate

@Suite("validation metrics")
struct MetricsTests {
  @Test("cosine, max and mean abs error, SNR over two samples")
  func outputMetrics() {
    var accumulator = OutputMetricsAccumulator(name: "y")
    accumulator.add(reference: [3, 4], candidate: [3, 3])
    accumulator.add(reference: [0], candidate: [2])
    let metrics = accumulator.metrics
    // r = (3, 4, 0), c = (3, 3, 2): r·c = 21, ‖r‖ = 5, ‖c‖ = √22; |r − c| = (0, 1, 2).
    #expect(metrics.elements == 3)
    #expect(abs(metrics.cosine - 21 / (5 * 22.0.squareRoot())) < 1e-12)
    #expect(metrics.maxAbsError == 2)
    #expect(metrics.meanAbsError == 1)
    #expect(abs(metrics.snrDB - 10 * log10(25.0 / 5)) < 1e-12)
  }

  @Test("identical outputs: cosine 1, no error, infinite SNR")
  func identical() {
    var accumulator = OutputMetricsAccumulator(name: "y")
    accumulator.add(reference: [1, -2, 0.5], candidate: [1, -2, 0.5])
    let metrics = accumulator.metrics
    #expect(metrics.cosine == 1)
    #expect(metrics.maxAbsError == 0 && metrics.meanAbsError == 0)
    #expect(metrics.snrDB == .infinity)
  }

  @Test("a NaN in the candidate is an infinite error")
  func nanCandidate() {
    var accumulator = OutputMetricsAccumulator(name: "y")
    accumulator.add(reference: [1, 2], candidate: [1, .nan])
    #expect(accumulator.metrics.maxAbsError == .infinity)
  }

  @Test("top-1 and top-5 agreement, accuracies and drop")
  func classifier() {
    var accumulator = ClassifierMetricsAccumulator()
    let scores: [Double] = [0, 1, 2, 3, 4, 5, 6]
    // Sample 1: both pick class 6 (label 6). Sample 2: the candidate picks 0, the reference
    // 6, which is the candidate's 5th (label 6). Sample 3: the reference's class 0 is the
    // candidate's last (label 0). Sample 4: both pick 2 (label 1).
    accumulator.add(reference: scores, candidate: scores, label: 6)
    accumulator.add(reference: scores, candidate: [7, 0, 0, 5, 4, 5, 3], label: 6)
    accumulator.add(reference: [9, 0, 0, 0, 0, 0, 0], candidate: scores, label: 0)
    accumulator.add(reference: [0, 0, 1], candidate: [0, 0, 1], label: 1)
    let metrics = accumulator.metrics
    #expect(metrics.samples == 4)
    #expect(metrics.top1Agreement == 50)
    #expect(metrics.top5Agreement == 75)
    #expect(metrics.referenceAccuracy == 75)
    #expect(metrics.candidateAccuracy == 25)
    #expect(metrics.top1Drop == 50)
  }

  @Test("ties go to the lowest class; no labels, no accuracy")
  func tiesAndNoLabels() {
    #expect(ClassifierMetricsAccumulator.ranking([1, 3, 3, .nan]) == [1, 2, 0, 3])
    var accumulator = ClassifierMetricsAccumulator()
    accumulator.add(reference: [1, 1], candidate: [2, 2], label: nil)
    #expect(accumulator.metrics.top1Agreement == 100)
    #expect(accumulator.metrics.referenceAccuracy == nil && accumulator.metrics.top1Drop == nil)
  }

  @Test("classifier outputs are [1, C] with C >= 2")
  func classifierShape() {
    #expect(ClassifierMetrics.isClassifier(shape: [1, 10]))
    #expect(!ClassifierMetrics.isClassifier(shape: [1, 1]))
    #expect(!ClassifierMetrics.isClassifier(shape: [2, 10]))
    #expect(!ClassifierMetrics.isClassifier(shape: [10]))
  }
}
