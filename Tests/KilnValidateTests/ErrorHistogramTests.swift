// The fixed log-spaced bins of the absolute error distribution.

import Foundation
import Testing

@testable import KilnValidate

struct ErrorHistogramTests {
  @Test("zeros and tiny errors underflow, huge and infinite ones overflow, the rest land in their decade's bins")
  func bins() {
    var histogram = ErrorHistogram()
    for error in [0, 1e-9, 1e-8, 0.5, 1, 9_999, 1e4, .infinity] { histogram.add(error) }
    #expect(histogram.underflow == 2)
    #expect(histogram.overflow == 2)
    #expect(histogram.counts.count == 40)
    #expect(histogram.counts[0] == 1)
    #expect(histogram.counts[39] == 1)
    #expect(histogram.counts[25] == 1)  // 0.5 in [10^-0.5, 10^-0.2)
    #expect(histogram.counts[26] == 1)  // 1 in [10^-0.2, 10^0.1)
    #expect(histogram.edge(26) == 1e-8 * pow(1e12, 26.0 / 40))
    #expect(histogram.total == 8)
  }

  @Test("an output's metrics carry the histogram only when asked")
  func accumulator() {
    var with = OutputMetricsAccumulator(name: "y", histogram: true)
    var without = OutputMetricsAccumulator(name: "y")
    with.add(reference: [1, 2, 3], candidate: [1, 2.5, 3])
    without.add(reference: [1, 2, 3], candidate: [1, 2.5, 3])
    #expect(with.metrics.errorHistogram?.total == 3)
    #expect(with.metrics.errorHistogram?.underflow == 2)
    #expect(without.metrics.errorHistogram == nil)
  }
}
