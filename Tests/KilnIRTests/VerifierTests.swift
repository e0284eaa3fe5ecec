// Verifier: sound graphs pass; cycles, double definitions, dangling reads and bad data fail.

import Foundation
import KilnIR
import KilnTestSupport
import Testing

/// The messages of every issue the verifier finds in `graph`.
private func messages(_ graph: Graph) -> [String] {
  Verifier.issues(in: graph).map(\.message)
}

/// x -> Relu -> Add(bias) -> y, with typed input and output.
private func soundGraph() -> GraphBuilder {
  let b = GraphBuilder()
  let x = b.input("x", "float32[N,3]")
  let bias = b.constant("bias", [0.1, 0.2, 0.3])
  let relu = b.op("Relu", x, output: "r", name: "relu")
  let y = b.op("Add", relu, bias, output: "y", name: "add")
  b.output(y)
  return b
}

@Test func soundGraphPasses() throws {
  let b = soundGraph()
  #expect(Verifier.issues(in: b.graph).isEmpty)
  try Verifier.verify(b.graph)
  try Verifier.verify(
    Model(irVersion: 8, opsetImports: [.init(domain: "", version: 13)], graph: b.graph))
}

@Test func subgraphMayReadOuterValues() throws {
  let b = GraphBuilder()
  let x = b.input("x", "float32[3]")
  let cond = b.input("cond", "bool[]")
  let doubled = b.op("Add", x, x, output: "doubled")

  let thenBranch = GraphBuilder("then")
  thenBranch.output(thenBranch.op("Relu", doubled, output: "t"))  // captures `doubled`
  let elseBranch = GraphBuilder("else")
  elseBranch.output(elseBranch.op("Neg", x, output: "e"))  // captures the graph input
  b.output(b.ifNode(cond, then: thenBranch, else: elseBranch, output: "y", name: "if"))

  #expect(messages(b.graph) == [])
  try Verifier.verify(b.graph)
}

@Test func subgraphCannotReadValueDefinedAfterItsNode() {
  let b = GraphBuilder()
  let x = b.input("x")
  let body = GraphBuilder("body")
  let late = Value(name: "late")
  body.output(body.op("Relu", late, output: "t"))
  b.node("If", [x], outputs: ["y"], attributes: [Attribute("then_branch", .graph(body.graph))])
  b.graph.append(Node(opType: "Neg", inputs: [x], outputs: [late]))
  let found = messages(b.graph)
  #expect(found.count == 1)
  #expect(found.first?.contains("'late', which is not visible here") == true)
}

@Test func cycleIsReported() throws {
  let b = GraphBuilder()
  let first = Value(name: "a")
  let second = Value(name: "b")
  b.graph.append(Node(name: "n1", opType: "Relu", inputs: [second], outputs: [first]))
  b.graph.append(Node(name: "n2", opType: "Relu", inputs: [first], outputs: [second]))
  b.output(second)

  let issues = Verifier.issues(in: b.graph)
  #expect(issues.map(\.message) == ["reads 'b' before it is defined (the nodes form a cycle)"])
  #expect(issues.first?.node == "n1")

  let error = try #require(throws: KilnError.self) { try Verifier.verify(b.graph) }
  #expect(error.kind == .badInput)
  #expect(error.node == "n1")
  #expect(error.op == "Relu")
  #expect(error.message.contains("cycle"))
}

@Test func misorderedNodesAreNotCalledACycle() {
  let b = soundGraph()
  b.graph.setNodes(b.graph.nodes.reversed())
  #expect(messages(b.graph) == ["reads 'r' before it is defined (the nodes are out of order)"])
}

@Test func valueWithTwoProducersIsReported() {
  let b = GraphBuilder()
  let x = b.input("x")
  let shared = Value(name: "v")
  b.graph.append(Node(name: "p1", opType: "Relu", inputs: [x], outputs: [shared]))
  b.graph.append(Node(name: "p2", opType: "Neg", inputs: [x], outputs: [shared]))
  b.output(shared)

  let issues = Verifier.issues(in: b.graph)
  #expect(issues.count == 1)
  #expect(issues.first?.node == "p2")
  #expect(
    issues.first?.message
      == "value 'v' is defined twice: the output of node 'p2' and the output of node 'p1'")
}

@Test func nodeOutputThatIsAlsoAGraphInputIsReported() {
  let b = GraphBuilder()
  let x = b.input("x")
  b.graph.append(Node(name: "n", opType: "Relu", inputs: [], outputs: [x]))
  #expect(
    messages(b.graph) == ["value 'x' is defined twice: the output of node 'n' and a graph input"])
}

@Test func danglingReadAndUndefinedOutputAreReported() {
  let b = GraphBuilder()
  let ghost = Value(name: "ghost")
  let y = b.op("Relu", ghost, output: "y", name: "relu")
  b.output(y, Value(name: "nowhere"))
  #expect(
    messages(b.graph) == [
      "reads 'ghost', which is not defined in this graph or an enclosing one",
      "graph output 'nowhere' is not defined in this graph or an enclosing one",
    ])
}

@Test func droppingANodeWithSetNodesDetachesItAndLeavesItsReadersDangling() {
  let b = soundGraph()
  let x = b.graph.inputs[0]
  b.graph.setNodes(Array(b.graph.nodes.dropFirst()))
  // setNodes detached the dropped node: x has no use by it, and r lost its producer.
  #expect(!x.uses.contains { $0.node.name == "relu" })
  #expect(messages(b.graph) == ["reads 'r', which is not defined in this graph or an enclosing one"])
}

@Test func nodeListedTwiceIsReported() {
  let b = soundGraph()
  b.graph.append(b.graph.nodes[0])
  #expect(messages(b.graph).contains("the same node appears twice in the graph"))
}

@Test func duplicateNamesInOneGraphAreReported() {
  let b = GraphBuilder()
  let x = b.input("x")
  b.op("Relu", x, output: "x")
  #expect(messages(b.graph) == ["two different values are named 'x' in one graph"])
}

@Test func sameNameInSubgraphIsAllowed() {
  let b = GraphBuilder()
  let x = b.input("x")
  let body = GraphBuilder("body")
  body.output(body.op("Relu", x, output: "y"))
  let outer = b.node(
    "If", [x], outputs: ["y"], attributes: [Attribute("then_branch", .graph(body.graph))])
  b.output(outer[0])
  #expect(messages(b.graph) == [])
}

@Test func initializerDataMustMatchDeclaredType() {
  let b = GraphBuilder()
  let weight = b.constant("w", [1, 2, 3, 4], dims: [2, 2])
  weight.type = tensorType("int64[2,N]")
  let bias = b.constant("b", [1, 2])
  bias.type = tensorType("float32[3]")
  #expect(
    messages(b.graph) == [
      "initializer 'w' is declared int64 but its data is float32",
      "initializer 'b' is declared with shape [3] but its data has dims [2]",
    ])
}

@Test func shortInitializerDataIsReported() {
  let b = GraphBuilder()
  let value = Value(name: "w", constant: floatTensor([1, 2, 3], dims: [2, 2]))
  b.graph.initializers.append(value)
  let found = messages(b.graph)
  #expect(found.count == 1)
  #expect(found.first?.contains("has 12 bytes of data but float32[2, 2] needs 16") == true)
}

@Test func hugeDimsAreReportedNotTrapped() {
  let b = GraphBuilder()
  let huge = Tensor(dataType: .float, dims: [1 << 40, 1 << 40], bytes: Data())
  b.graph.initializers.append(Value(name: "w", constant: huge))
  #expect(
    messages(b.graph) == [
      "initializer 'w' has dims [1099511627776, 1099511627776] too large to address"
    ])
}

@Test func externalInitializerIsNotRead() {
  let b = GraphBuilder()
  let reference = ExternalData(location: "w.bin", path: "/nonexistent/w.bin", offset: 0, length: 16)
  b.graph.initializers.append(
    Value(name: "w", constant: Tensor(dataType: .float, dims: [4], storage: .external(reference))))
  #expect(messages(b.graph) == [])
}

@Test func initializerWithoutDataIsReported() {
  let b = GraphBuilder()
  b.graph.initializers.append(Value(name: "w"))
  #expect(messages(b.graph) == ["initializer 'w' has no constant data"])
}

@Test func errorListsTheFirstFewProblems() throws {
  let b = GraphBuilder()
  for index in 0..<8 { b.op("Relu", Value(name: "ghost\(index)"), output: "y\(index)") }
  let error = try #require(throws: KilnError.self) { try Verifier.verify(b.graph) }
  #expect(error.kind == .badInput)
  #expect(error.op == "Relu")
  #expect(error.message.hasPrefix("reads 'ghost0', which is not defined"))
  #expect(error.message.contains("7 more problems"))
  #expect(error.message.contains("ghost4"))
  #expect(!error.message.contains("ghost5"))
  #expect(error.message.hasSuffix("and 3 more"))
}

@Test func subgraphIssuesNameTheirPath() throws {
  let b = GraphBuilder()
  let x = b.input("x")
  let body = GraphBuilder("body")
  body.output(body.op("Relu", Value(name: "ghost"), output: "t", name: "inner"))
  b.node(
    "Loop", [x], outputs: ["y"], name: "loop", attributes: [Attribute("body", .graph(body.graph))])
  let issues = Verifier.issues(in: b.graph)
  #expect(issues.count == 1)
  #expect(issues.first?.graph == "main/loop.body")
  #expect(
    issues.first?.description
      == "graph 'main/loop.body': node 'inner' (Relu): reads 'ghost', which is not defined in this graph or an enclosing one"
  )
  let error = try #require(throws: KilnError.self) { try Verifier.verify(b.graph) }
  #expect(error.node == "inner")
  #expect(error.message.hasSuffix("(in subgraph 'main/loop.body')"))
}
