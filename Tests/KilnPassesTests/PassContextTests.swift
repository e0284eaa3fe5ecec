// PassContext: opsets, and evaluating a node in KilnRuntime as a folding pass will.

import KilnIR
import KilnPasses
import KilnRuntime
import Testing

@Suite("Pass context")
struct PassContextTests {
  @Test("evaluate runs a node on constants and gives constants back")
  func evaluate() throws {
    let subject = try model(opset17 + """
      g (float[2] X) => (float[2] Y) <float[2] A = {1.0, 2.0}, float[2] B = {0.5, 4.0}> { Y = Add(A, B) }
      """)
    let context = PassContext(model: subject)
    #expect(context.opsetVersion() == 17 && context.opsetVersion("ai.onnx") == 17)
    let node = subject.graph.nodes[0]
    #expect(context.canEvaluate(node))
    let outputs = try context.evaluate(node, inputs: node.inputs.map { $0?.constantTensor })
    let sum = try #require(outputs.first ?? nil)
    #expect(sum.dims == [2] && sum.name == "Y")
    #expect(sum.floatingPointValues() == [1.5, 6.0])
  }

  @Test("new names avoid every name of the graph tree and are handed out once per run")
  func unusedNames() throws {
    let subject = try model(opset17 + """
      g (bool C, float[2] X) => (float[2] Y) {
        Y = If(C) <then_branch = t () => (float[2] Y_1) { Y_1 = Neg(X) },
                   else_branch = e () => (float[2] Y_2) { Y_2 = Abs(X) }>
      }
      """)
    let context = PassContext(model: subject)
    // Outside a pass run the names are gathered each time.
    #expect(context.unusedName("Y", in: subject.graph) == "Y_3")
    #expect(context.unusedName("Y", in: subject.graph) == "Y_3")
    #expect(context.unusedName("Z", in: subject.graph) == "Z")
    NamesValues.given = []
    _ = try NamesValues(options: PassOptions(defaultsOf: [])).apply(to: subject.graph, context: context)
    #expect(NamesValues.given == ["Y_3", "Y_4", "Y_5", "Y_6", "Y_7", "Y_8"])
    // After the run, names are gathered from the graph again, not from the run's index.
    #expect(context.unusedName("Y", in: subject.graph) == "Y_3")
  }

  @Test("a Constant node's value counts as constant data")
  func constantNodes() throws {
    let subject = try model(opset17 + """
      g (float[2] X) => (float[2] Y) { S = Constant<value = int64[2] {3, -1}>() Y = Reshape(X, S) }
      """)
    #expect(subject.graph.nodes[1].inputs[1]?.constantTensor?.integers() == [3, -1])
  }
}
