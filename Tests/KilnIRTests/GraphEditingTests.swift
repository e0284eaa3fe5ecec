// Graph editing: inputs, setInput, remove and replaceAllUses keep use lists and producers right.

import KilnIR
import KilnTestSupport
import Testing

/// The (node, index) pairs in `value`'s use list, as comparable text.
private func uses(_ value: Value) -> [String] {
  value.uses.map { "\($0.node.name)#\($0.index)" }.sorted()
}

@Test func newNodeRegistersUsesAndProducer() {
  let x = Value(name: "x")
  let y = Value(name: "y")
  let node = Node(name: "add", opType: "Add", inputs: [x, x], outputs: [y])
  #expect(uses(x) == ["add#0", "add#1"])
  #expect(y.producer === node)
  #expect(x.producer == nil)
}

@Test func setInputMovesOneUse() {
  let x = Value(name: "x")
  let z = Value(name: "z")
  let node = Node(name: "add", opType: "Add", inputs: [x, x], outputs: [Value(name: "y")])
  node.setInput(1, z)
  #expect(uses(x) == ["add#0"])
  #expect(uses(z) == ["add#1"])
  node.setInput(0, nil)
  #expect(uses(x) == [])
  #expect(node.inputs[0] == nil)
}

@Test func assigningInputsReplacesAllUses() {
  let x = Value(name: "x")
  let z = Value(name: "z")
  let node = Node(name: "n", opType: "Concat", inputs: [x, z])
  node.inputs = [z]
  #expect(uses(x) == [])
  #expect(uses(z) == ["n#0"])
}

@Test func reassigningOutputsClearsTheOldProducer() {
  let old = Value(name: "old")
  let new = Value(name: "new")
  let node = Node(opType: "Relu", outputs: [old])
  node.outputs = [new]
  #expect(old.producer == nil)
  #expect(new.producer === node)
}

@Test func removeDetachesTheNode() throws {
  let b = GraphBuilder()
  let x = b.input("x")
  let r = b.op("Relu", x, output: "r", name: "relu")
  let y = b.op("Neg", x, output: "y", name: "neg")
  b.output(y)
  let relu = try #require(r.producer)
  b.graph.remove(relu)
  #expect(b.graph.nodes.map(\.name) == ["neg"])
  #expect(uses(x) == ["neg#0"])
  #expect(r.producer == nil)
  try Verifier.verify(b.graph)
}

@Test func replaceAllUsesRewiresNodesSubgraphsAndOutputs() throws {
  let b = GraphBuilder()
  let x = b.input("x")
  let old = b.op("Relu", x, output: "old", name: "relu")
  let new = b.op("Neg", x, output: "new", name: "neg")
  b.op("Add", old, old, output: "sum", name: "add")
  let body = GraphBuilder("body")
  body.output(body.op("Identity", old, output: "t", name: "inner"))
  b.node(
    "If", [x], outputs: ["branch"], name: "if",
    attributes: [Attribute("then_branch", .graph(body.graph))])
  b.output(old)

  b.graph.replaceAllUses(of: old, with: new)
  #expect(uses(old) == [])
  #expect(uses(new) == ["add#0", "add#1", "inner#0"])
  #expect(b.graph.outputs.first === new)
  // `old` is now unused; removing its producer leaves a sound graph.
  b.graph.remove(try #require(old.producer))
  try Verifier.verify(b.graph)
}

@Test func insertBeforePlacesTheNode() throws {
  let b = GraphBuilder()
  let x = b.input("x")
  let y = b.op("Neg", x, output: "y", name: "neg")
  b.output(y)
  let relu = Node(name: "relu", opType: "Relu", inputs: [x], outputs: [Value(name: "r")])
  b.graph.insert(relu, before: try #require(y.producer))
  #expect(b.graph.nodes.map(\.name) == ["relu", "neg"])
  y.producer?.setInput(0, relu.outputs[0])
  try Verifier.verify(b.graph)
}

@Test func allNodesWalksSubgraphsDepthFirst() {
  let b = GraphBuilder()
  let x = b.input("x")
  let body = GraphBuilder("body")
  body.op("Relu", x, output: "t", name: "inner")
  b.node(
    "Loop", [x], outputs: ["y"], name: "loop", attributes: [Attribute("body", .graph(body.graph))])
  b.op("Neg", x, output: "z", name: "after")
  #expect(b.graph.allNodes().map(\.name) == ["loop", "inner", "after"])
}

@Test func aNodeDroppedWithoutDetachingLeavesTheUseList() {
  let x = Value(name: "x")
  let kept = Node(name: "kept", opType: "Relu", inputs: [x], outputs: [Value(name: "k")])
  do {
    _ = Node(name: "temporary", opType: "Neg", inputs: [x], outputs: [Value(name: "t")])
  }
  #expect(uses(x) == ["kept#0"])
  withExtendedLifetime(kept) {}
}

@Test func graphsKnowTheNodesTheyHold() throws {
  let b = GraphBuilder()
  let x = b.input("x")
  let r = b.op("Relu", x, output: "r", name: "relu")
  b.output(r)
  let relu = try #require(r.producer)
  let loose = Node(opType: "Neg")
  #expect(b.graph.contains(relu))
  #expect(!b.graph.contains(loose))
  b.graph.insert(loose, before: relu)
  #expect(b.graph.contains(loose))
  #expect(b.graph.nodes.map(\.opType) == ["Neg", "Relu"])
  b.graph.remove(loose)
  #expect(!b.graph.contains(loose))
  // A view made over another graph's nodes leaves them to that graph.
  let view = Graph(nodes: b.graph.nodes)
  #expect(b.graph.contains(relu))
  #expect(!view.contains(relu))
  b.graph.setNodes([])
  #expect(!b.graph.contains(relu))
}

@Test func nestedGraphsFollowNodesAndAttributes() {
  let graph = Graph()
  let body = Graph(name: "body")
  let plain = Node(opType: "Relu")
  graph.append(plain)
  #expect(graph.nestedGraphs.isEmpty)
  let loop = Node(opType: "Loop", attributes: [Attribute("body", .graph(body))])
  graph.append(loop)
  #expect(graph.nestedGraphs.map(\.name) == ["body"])
  #expect(graph.allGraphs().count == 2)
  let other = Graph(name: "other")
  loop.attributes = [Attribute("body", .graph(other))]
  #expect(graph.nestedGraphs.map(\.name) == ["other"])
  plain.attributes = [Attribute("alpha", .float(1))]
  graph.remove(loop)
  #expect(graph.nestedGraphs.isEmpty)
}
