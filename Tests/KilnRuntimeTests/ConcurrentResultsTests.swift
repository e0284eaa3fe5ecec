// Independent jobs run at once, results in index order, the lowest index's error first.

import KilnIR
import KilnRuntime
import Testing

@Test func concurrentResultsComeInIndexOrder() throws {
  #expect(try concurrentResults(4) { $0 * $0 } == [0, 1, 4, 9])
}

@Test func theLowestFailingIndexIsRethrown() {
  #expect {
    _ = try concurrentResults(3) { index -> Int in
      if index > 0 { throw KilnError.badInput("job \(index)") }
      return index
    }
  } throws: { error in
    (error as? KilnError)?.message == "job 1"
  }
}
