// If and Loop through the executor: branch choice, captures, carried values, scan outputs.

import KilnIR
import KilnRuntime
import Testing

private func model(_ graph: Graph) -> Model {
  Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 13)], graph: graph)
}

private func ifModel() -> Model {
  let graph = Graph(name: "main")
  let condition = Value(name: "c", type: .tensor(.bool, nil))
  let x = Value(name: "x", type: .tensor(.float, nil))
  let y = Value(name: "y")
  graph.inputs = [condition, x]
  let thenBranch = Graph(name: "then")
  let passed = Value(name: "passed")
  thenBranch.append(Node(opType: "Identity", inputs: [x], outputs: [passed]))
  thenBranch.outputs = [passed]
  let elseBranch = Graph(name: "else")
  let constant = Value(name: "constant")
  elseBranch.append(Node(opType: "Constant", outputs: [constant], attributes: [Attribute("value_float", .float(-1))]))
  elseBranch.outputs = [constant]
  graph.append(Node(
    opType: "If", inputs: [condition], outputs: [y],
    attributes: [Attribute("then_branch", .graph(thenBranch)), Attribute("else_branch", .graph(elseBranch))]))
  graph.outputs = [y]
  return model(graph)
}

@Test func ifRunsTheChosenBranchWithCaptures() throws {
  let executor = try Executor(model: ifModel())
  let x = try HostTensor(shape: [2], values: [Float(1), 2])
  #expect(try executor.run(["c": try HostTensor(scalar: true), "x": x])["y"]?.scalars(as: Float.self) == [1, 2])
  #expect(try executor.run(["c": try HostTensor(scalar: false), "x": x])["y"]?.scalars(as: Float.self) == [-1])
  #expect(throws: KilnError.self) {
    try executor.run(["c": try HostTensor(shape: [2], values: [true, false]), "x": x])
  }
}

@Test func loopCarriesValuesAndStacksScanOutputs() throws {
  let graph = Graph(name: "main")
  let trips = Value(name: "M", type: .tensor(.int64, nil))
  let start = Value(name: "start", type: .tensor(.int64, nil))
  let final = Value(name: "final"), scanned = Value(name: "scanned")
  graph.inputs = [trips, start]
  let body = Graph(name: "body")
  let iteration = Value(name: "i"), conditionIn = Value(name: "cond_in"), carriedIn = Value(name: "carried_in")
  let conditionOut = Value(name: "cond_out"), carriedOut = Value(name: "carried_out"), scan = Value(name: "scan")
  body.inputs = [iteration, conditionIn, carriedIn]
  body.append(Node(opType: "Identity", inputs: [conditionIn], outputs: [conditionOut]))
  body.append(Node(opType: "Identity", inputs: [iteration], outputs: [carriedOut]))
  body.append(Node(opType: "Identity", inputs: [iteration], outputs: [scan]))
  body.outputs = [conditionOut, carriedOut, scan]
  graph.append(Node(
    opType: "Loop", inputs: [trips, nil, start], outputs: [final, scanned],
    attributes: [Attribute("body", .graph(body))]))
  graph.outputs = [final, scanned]
  let executor = try Executor(model: model(graph))
  let outputs = try executor.run(["M": try HostTensor(scalar: Int64(3)), "start": try HostTensor(scalar: Int64(9))])
  #expect(outputs["final"]?.scalars(as: Int64.self) == [2])
  #expect(outputs["scanned"]?.shape == [3])
  #expect(outputs["scanned"]?.scalars(as: Int64.self) == [0, 1, 2])
  let none = try executor.run(["M": try HostTensor(scalar: Int64(0)), "start": try HostTensor(scalar: Int64(9))])
  #expect(none["final"]?.scalars(as: Int64.self) == [9])
  #expect(none["scanned"]?.shape == [0])
  #expect(throws: KilnError.self) {
    try executor.run(["M": try HostTensor(shape: [2], values: [Int64(1), 2]), "start": try HostTensor(scalar: Int64(9))])
  }
}
