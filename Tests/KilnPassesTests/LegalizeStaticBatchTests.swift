// legalize-static-batch: symbolic batch dims of graph inputs become a static size.

import KilnIR
import KilnPasses
import KilnTestSupport
import Testing

@Suite("legalize-static-batch")
struct LegalizeStaticBatchTests {
  static let input = opset17 + """
    g (float[N, 3] X, float[?, 2] Z, float[4, 3] F) => (float[N, 3] Y, float[?, 2] W) <float[N, 3] A> {
      A = Relu(X)
      Y = Add(A, F)
      W = Relu(Z)
    }
    """

  @Test("a symbolic batch gets the size in every type that names it; an unknown batch on the input; a note each")
  func fixesBatch() throws {
    let subject = try model(Self.input)
    let report = try runPasses([pass("legalize-static-batch", [("size", "2")])], on: subject)
    #expect(report.statistics.first?.changed == true)
    let graph = subject.graph
    #expect(graph.inputs.map { $0.tensorShape?.description } == ["[2,3]", "[2,2]", "[4,3]"])
    #expect(graph.outputs.map { $0.tensorShape?.description } == ["[2,3]", "[?,2]"])
    #expect(graph.nodes[0].outputs[0]?.tensorShape?.description == "[2,3]")
    #expect(report.notes.map(\.message) == [
      "input 'X': batch dim N set to 2 (choose it with --input-shape)",
      "input 'Z': batch dim ? set to 2 (choose it with --input-shape)",
    ])
    let again = try runPasses([pass("legalize-static-batch")], on: subject)
    #expect(again.statistics.first?.changed == false)
  }

  @Test("static inputs stay as they are; size must be 1 or more")
  func negative() throws {
    try expectUnchanged(pass("legalize-static-batch"), input: opset17 + "g (float[1, 3] X) => (float[1, 3] Y) { Y = Relu(X) }")
    #expect(throws: KilnError.self) { try pass("legalize-static-batch", [("size", "0")]) }
  }
}
