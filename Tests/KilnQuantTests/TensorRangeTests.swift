import KilnQuant
import Testing

@Suite struct TensorRangeTests {
  @Test func unionCoversBothRanges() {
    let union = TensorRange(min: -1, max: 2).union(TensorRange(min: 0.5, max: 3))
    #expect(union == TensorRange(min: -1, max: 3))
  }

  @Test func absoluteMaximumIsTheLargerMagnitude() {
    #expect(TensorRange(min: -4, max: 2).absoluteMaximum == 4)
    #expect(TensorRange(min: 1, max: 5).absoluteMaximum == 5)
  }
}
