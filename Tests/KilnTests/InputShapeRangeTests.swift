// `--input-shape NAME=MIN..OPT..MAX x …`: parsing shape ranges beside static shapes.

import Kiln
import KilnIR
import KilnTargets
import Testing

@Suite("Input shape ranges")
struct InputShapeRangeTests {
  @Test("sizes, MIN..MAX (OPT = MAX) and MIN..OPT..MAX dims; static shapes apart")
  func parses() throws {
    let (shapes, ranges) = try ModelConversion.parseInputShapesAndRanges(["a=1..4..8x3x224x224", "b=2x3", "c=1..16x5"])
    #expect(shapes == ["b": [2, 3]])
    #expect(ranges["a"] == InputShapeRange(min: [1, 3, 224, 224], opt: [4, 3, 224, 224], max: [8, 3, 224, 224]))
    #expect(ranges["c"] == InputShapeRange(min: [1, 5], opt: [16, 5], max: [16, 5]))
  }

  @Test("malformed ranges and an input named twice are usage errors")
  func refuses() {
    for texts in [["a=1..x3"], ["a=1..2..3..4x3"], ["a=..8x3"], ["a=1..8x3", "a=2x3"]] {
      let error = #expect(throws: KilnError.self, "\(texts)") { try ModelConversion.parseInputShapesAndRanges(texts) }
      #expect(error?.kind == .usage, "\(texts)")
    }
  }
}
