// The pass manager: fixed points and their cap, statistics, the verifier, and errors naming the pass.

import KilnIR
import KilnPasses
import Testing

@Suite("Pass manager")
struct PassManagerTests {
  static let input = opset17 + """
    g (float[2] X) => (float[2] Y) {
      A = Identity(X)
      B = Relu(A)
      D = Neg(B)
      Y = Sigmoid(B)
    }
    """

  @Test("statistics count nodes before and after each pass, subgraphs included")
  func statistics() throws {
    let subject = try model(Self.input)
    let report = try runPasses([pass("eliminate-identity"), pass("eliminate-dead-code")], on: subject)
    #expect(report.statistics.map(\.pass) == ["eliminate-identity", "eliminate-dead-code"])
    #expect(report.statistics.map(\.nodesBefore) == [4, 3])
    #expect(report.statistics.map(\.nodesAfter) == [3, 2])
    #expect(report.statistics.allSatisfy { $0.changed && $0.seconds >= 0 })
    #expect(report.iterations == 1 && report.converged)
  }

  @Test("a fixed-point pipeline stops once nothing changes")
  func fixedPoint() throws {
    let subject = try model(Self.input)
    let pipeline = Pipeline(
      name: "t", passes: [try pass("eliminate-dead-code"), try pass("eliminate-identity")], fixedPointLimit: 5)
    let report = try PassManager(pipeline: pipeline, verifyEachPass: true).run(on: subject)
    #expect(report.iterations == 2)
    #expect(report.converged)
    #expect(subject.graph.nodes.count == 2)
  }

  @Test("a fixed-point pipeline that keeps changing stops at its cap, not converged")
  func cap() throws {
    let pipeline = Pipeline(name: "t", passes: [try testRegistry.makePass("always-changes")], fixedPointLimit: 3)
    let report = try PassManager(pipeline: pipeline).run(on: model(Self.input))
    #expect(report.iterations == 3)
    #expect(!report.converged)
    #expect(report.statistics.map(\.iteration) == [1, 2, 3])
  }

  @Test("afterEachPass sees every pass run with the model as it is, and can stop the pipeline")
  func observer() throws {
    let subject = try model(Self.input)
    let passes = [try pass("eliminate-identity"), try pass("eliminate-dead-code")]
    var manager = PassManager(pipeline: Pipeline(name: "t", passes: passes))
    var seen: [(String, Int)] = []
    manager.afterEachPass = { stats, model in seen.append((stats.pass, model.graph.nodes.count)) }
    _ = try manager.run(on: subject)
    #expect(seen.map(\.0) == ["eliminate-identity", "eliminate-dead-code"])
    #expect(seen.map(\.1) == [3, 2])

    struct Stop: Error {}
    seen = []
    manager.afterEachPass = { stats, _ in
      seen.append((stats.pass, 0))
      throw Stop()
    }
    #expect(throws: Stop.self) { try manager.run(on: model(Self.input)) }
    #expect(seen.map(\.0) == ["eliminate-identity"])
  }

  @Test("the verifier catches a pass that breaks the graph, and names it")
  func verifier() throws {
    let pipeline = Pipeline(name: "t", passes: [try testRegistry.makePass("drops-first-node")])
    let error = try #require(throws: KilnError.self) {
      try PassManager(pipeline: pipeline, verifyEachPass: true).run(on: model(Self.input))
    }
    #expect(error.kind == .internalError)
    #expect(error.message.contains("pass 'drops-first-node' left an invalid graph"), "\(error)")
  }

  @Test("an error a pass throws names the pass and the node")
  func errors() throws {
    let subject = try model(opset17 + "g (float[2] X) => (float[2] Y) { Y = Relu(X) }")
    subject.graph.nodes[0].name = "relu1"
    let error = try #require(throws: KilnError.self) {
      try PassManager(pipeline: Pipeline(name: "t", passes: [try testRegistry.makePass("throws")])).run(on: subject)
    }
    #expect(error.message.hasPrefix("pass 'throws' failed: cannot handle this"))
    #expect(error.node == "relu1" && error.op == "Relu")
    #expect(error.description.contains("node 'relu1' (Relu)"))
  }

  @Test("notes say which pass skipped which node")
  func notes() throws {
    let subject = try model(opset17 + "g (float[2] X) => (float[2] Y) { Y = Identity(X) }")
    let report = try runPasses([pass("eliminate-identity")], on: subject)
    #expect(report.notes.count == 1)
    #expect(report.notes.first?.pass == "eliminate-identity")
    #expect(report.notes.first?.description.contains("Identity") == true)
  }

  @Test("the default pipeline's passes, run twice, change nothing the second time")
  func idempotent() throws {
    let subject = try model(Self.input)
    let passes = try ["eliminate-identity", "eliminate-common-subexpressions", "eliminate-dead-code", "eliminate-unused-initializers"].map { try pass($0) }
    try runPasses(passes, on: subject)
    let second = try runPasses(passes, on: subject)
    #expect(second.statistics.allSatisfy { !$0.changed })
  }

  @Test("before IR version 4, initializers stay listed as graph inputs as passes add and remove them")
  func legacyInitializerInputs() throws {
    let subject = try model(#"""
      <ir_version: 3, opset_import: ["" : 9]>
      g (float[2,3] X, float[3,2] W) => (float[2,3] Y) <float[3,2] W = {1, 2, 3, 4, 5, 6}> {
        T = Transpose(W)
        Y = Add(X, T)
      }
      """#)
    try runPasses([pass("fold-constants")], on: subject)
    let graph = subject.graph
    #expect(graph.initializers.map(\.name) == ["W", "T"])
    #expect(graph.inputs.map(\.name) == ["X", "W", "T"], "T, now an initializer, is listed as an input too")
  }

  @Test("from IR version 4, an initializer that is also a graph input is a default, not a constant")
  func overridableInitializers() throws {
    let subject = try model(#"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[2,3] X, float[3,2] W) => (float[2,3] Y) <float[3,2] W = {1, 2, 3, 4, 5, 6}, float[3] B = {1, 2, 3}> {
        T = Transpose(W)
        S = Add(X, T)
        Y = Add(S, B)
      }
      """#)
    let report = try runPasses([pass("fold-constants"), pass("eliminate-unused-initializers")], on: subject)
    let graph = subject.graph
    #expect(graph.nodes.map(\.opType) == ["Transpose", "Add", "Add"], "Transpose(W) must not fold: W may be fed")
    #expect(graph.initializers.map(\.name) == ["W", "B"], "both initializers are back, in order")
    #expect(graph.initializers.first?.constant != nil)
    #expect(report.statistics.allSatisfy { !$0.changed })
  }
}
