// Deep copies of models.

import KilnIR
import KilnTestSupport
import Testing

/// A model whose If branch reads a value of the main graph (an implicit capture).
private func modelWithCapture() -> Model {
  let main = GraphBuilder()
  let x = main.input("x", "float32[2]")
  let condition = main.input("condition", "bool[]")
  let weight = main.constant("w", [1, 2])
  let scaled = main.op("Mul", x, weight, output: "scaled")
  let thenBranch = GraphBuilder("then")
  thenBranch.output(thenBranch.op("Relu", scaled, output: "then_out"))
  let elseBranch = GraphBuilder("else")
  elseBranch.output(elseBranch.op("Neg", scaled, output: "else_out"))
  main.output(main.ifNode(condition, then: thenBranch, else: elseBranch, output: "y"))
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: main.graph)
}

@Test func copyPrintsTheSameAndSharesNoObjects() throws {
  let model = modelWithCapture()
  let copy = model.copy()
  #expect(Printer.print(copy) == Printer.print(model))
  #expect(copy.graph !== model.graph)
  let copiedIf = try #require(copy.graph.nodes.last)
  #expect(copiedIf.owner === copy.graph)
  let branchInput = try #require(copiedIf.subgraphs.first?.nodes.first?.inputs.first ?? nil)
  #expect(branchInput === copy.graph.nodes.first?.outputs.first ?? nil, "the capture reaches the copied value")
  #expect(branchInput.uses.count == 2)
}

@Test func rewritingTheCopyLeavesTheOriginal() {
  let model = modelWithCapture()
  let before = Printer.print(model)
  let copy = model.copy()
  copy.graph.nodes.first?.opType = "Add"
  copy.graph.initializers.first?.name = "renamed"
  copy.graph.remove(copy.graph.nodes.last!)
  #expect(Printer.print(model) == before)
  #expect(model.graph.nodes.first?.outputs.first??.uses.count == 2)
}
