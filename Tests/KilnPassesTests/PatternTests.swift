// The pattern matcher: op chains, conditions, shared bindings, commutative inputs, rewrite rules.

import KilnIR
import KilnPasses
import Testing

@Suite("Pattern matcher")
struct PatternTests {
  /// Relu(Add(x, constant)) where the Add has no other reader.
  static let reluOfBiasAdd = Pattern.op(
    "Relu", "relu",
    inputs: [.op("Add", "add", inputs: [.any("x"), .constant("bias")], commutative: true, where: [.singleUser])])

  @Test("a chain matches and binds nodes and values by name")
  func binds() throws {
    let subject = try model(opset17 + """
      g (float[2] X) => (float[2] Y) <float[2] B = {1.0, 2.0}> { S = Add(B, X) Y = Relu(S) }
      """)
    let graph = subject.graph
    let match = try #require(Self.reluOfBiasAdd.match(graph.nodes[1], in: graph).match)
    #expect(try match.node("add") === graph.nodes[0])
    #expect(try match.value("x") === graph.inputs[0])
    #expect(try match.constant("bias").dims == [2])
  }

  @Test("a second reader, a non-constant input or another op does not match, with a reason")
  func mismatches() throws {
    let subject = try model(opset17 + """
      g (float[2] X, float[2] Z) => (float[2] Y, float[2] W, float[2] V) <float[2] B = {1.0, 2.0}> {
        S = Add(X, B)
        Y = Relu(S)
        W = Neg(S)
        T = Add(X, Z)
        V = Relu(T)
      }
      """)
    let graph = subject.graph
    guard case .mismatch(let reason, let worthNoting) = Self.reluOfBiasAdd.match(graph.nodes[1], in: graph) else {
      Issue.record("matched despite a second reader")
      return
    }
    #expect(reason.contains("more than one user") && worthNoting)
    guard case .mismatch(let other, _) = Self.reluOfBiasAdd.match(graph.nodes[4], in: graph) else {
      Issue.record("matched a non-constant bias")
      return
    }
    #expect(other.contains("not a constant"))
    #expect(Self.reluOfBiasAdd.match(graph.nodes[2], in: graph).match == nil)
  }

  @Test("a name bound twice must be the same value: x * Sigmoid(x)")
  func sharedBinding() throws {
    let swish = Pattern.op("Mul", "mul", inputs: [.any("x"), .op("Sigmoid", inputs: [.any("x")])], commutative: true)
    let subject = try model(opset17 + """
      g (float[2] X, float[2] Z) => (float[2] Y, float[2] W) {
        S = Sigmoid(X)
        Y = Mul(S, X)
        W = Mul(Z, S)
      }
      """)
    let graph = subject.graph
    #expect(swish.match(graph.nodes[1], in: graph).match != nil)
    #expect(swish.match(graph.nodes[2], in: graph).match == nil)
  }

  @Test("a rewrite rule replaces each match and keeps the output's name")
  func rewriteRule() throws {
    let rule = RewriteRule(Self.reluOfBiasAdd) { match, graph, _ in
      let relu = try match.node("relu")
      let fused = Node(opType: "BiasRelu", domain: "com.test", inputs: [try match.value("x"), try match.value("bias")])
      graph.replace(relu, with: fused)
      graph.removeDeadNodes([try match.node("add")])
      return true
    }
    let subject = try model(#"<ir_version: 8, opset_import: ["" : 17, "com.test" : 1]>"# + """
      g (float[2] X) => (float[2] Y) <float[2] B = {1.0, 2.0}> { S = Add(X, B) Y = Relu(S) }
      """)
    let context = PassContext(model: subject)
    #expect(try rule.apply(to: subject.graph, context: context) == 1)
    let expected = try model(#"<ir_version: 8, opset_import: ["" : 17, "com.test" : 1]>"# + """
      g (float[2] X) => (float[2] Y) <float[2] B = {1.0, 2.0}> { Y = com.test.BiasRelu(X, B) }
      """)
    #expect(Printer.print(subject.graph) == Printer.print(expected.graph))
    try Verifier.verify(subject)
  }

  @Test("conditions: constant inputs and attributes")
  func conditions() throws {
    let pattern = Pattern.op(
      "LeakyRelu", where: [.attribute("alpha", "is 0.1") { if case .float(let a)? = $0 { a == 0.1 } else { false } }])
    let subject = try model(opset17 + """
      g (float[2] X) => (float[2] Y, float[2] Z) { Y = LeakyRelu<alpha = 0.1>(X) Z = LeakyRelu<alpha = 0.2>(X) }
      """)
    let graph = subject.graph
    #expect(pattern.match(graph.nodes[0], in: graph).match != nil)
    guard case .mismatch(let reason, let worthNoting) = pattern.match(graph.nodes[1], in: graph) else {
      Issue.record("matched alpha 0.2")
      return
    }
    #expect(reason.contains("alpha is 0.1") && worthNoting)
    #expect(NodeCondition.inputIsConstant(0).test(graph.nodes[0], MatchContext(graph: graph, pinned: [])) == false)
  }

  @Test("a pass applied through the infrastructure visits Loop and If bodies")
  func visitsSubgraphs() throws {
    let subject = try model(opset17 + """
      g (float[2] X, bool c) => (float[2] Y) {
        Y = If(c) <then_branch = t () => (float[2] a) { i = Identity(X) a = Relu(i) },
                   else_branch = e () => (float[2] b) { j = Identity(X) b = Neg(j) }>
      }
      """)
    try runPasses([pass("eliminate-identity")], on: subject)
    #expect(subject.graph.nodeCountIncludingSubgraphs == 3)
  }
}
