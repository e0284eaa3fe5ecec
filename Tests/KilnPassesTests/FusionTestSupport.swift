// Helpers for the fusion tests: seeded constant lists to paste into ONNX text.

/// `count` seeded numbers in [low, high) written as an ONNX text list body: "0.25, -0.5, …".
func numberList(_ count: Int, seed: UInt64, in range: Range<Float> = -1..<1) -> String {
  var generator = TestRandom(seed: seed)
  return (0..<count).map { _ in "\(Float.random(in: range, using: &generator))" }.joined(separator: ", ")
}
