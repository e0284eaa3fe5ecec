// Helpers for the fusion tests: seeded constant lists to paste into ONNX text, negative cases with reasons.

import KilnPasses
import KilnRuntime
import Testing

/// `count` seeded numbers in [low, high) written as an ONNX text list body: "0.25, -0.5, …".
func numberList(_ count: Int, seed: UInt64, in range: Range<Float> = -1..<1) -> String {
  var generator = SplitMix64(seed: seed)
  return (0..<count).map { _ in "\(Float.random(in: range, using: &generator))" }.joined(separator: ", ")
}

/// Negative test that also checks why: `pass` must leave the model in `input` unchanged and
/// record a note containing each of `reasons`.
func expectDeclined(
  _ pass: any Pass, input: String, reasons: [String], sourceLocation: SourceLocation = #_sourceLocation
) throws {
  try expectUnchanged(pass, input: input, sourceLocation: sourceLocation)
  let notes = try runPasses([pass], on: model(input)).notes.map(\.message)
  for reason in reasons {
    #expect(notes.contains { $0.contains(reason) }, "no note says '\(reason)': \(notes)", sourceLocation: sourceLocation)
  }
}
