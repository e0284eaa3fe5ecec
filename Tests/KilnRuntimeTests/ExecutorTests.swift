// The executor: checking support up front, binding inputs, running nodes, subgraph captures.

import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

private func identityModel(inputType: ValueType) -> Model {
  let graph = Graph(name: "g")
  let x = Value(name: "x", type: inputType)
  let y = Value(name: "y")
  let z = Value(name: "z")
  graph.inputs = [x]
  graph.append(Node(name: "first", opType: "Identity", inputs: [x], outputs: [y]))
  graph.append(Node(name: "second", opType: "Dropout", inputs: [y], outputs: [z]))
  graph.outputs = [z]
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: graph)
}

@Test func runsNodesInOrderAndReturnsOutputsByName() throws {
  let model = identityModel(inputType: .tensor(.float, Shape([.symbolic("N"), .fixed(2)])))
  let executor = try Executor(model: model)
  let x = try HostTensor(shape: [3, 2], values: [Float(1), 2, 3, 4, 5, 6])
  let outputs = try executor.run(["x": x])
  #expect(outputs["z"]?.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
  #expect(outputs["z"]?.shape == [3, 2])
}

@Test func everyMissingOpIsNamedAtOnce() throws {
  let model = identityModel(inputType: .tensor(.float, nil))
  let graph = model.graph
  let extra = Value(name: "w")
  graph.append(Node(name: "a", opType: "NoSuchOp", inputs: [graph.outputs[0]], outputs: [extra]))
  graph.append(Node(name: "b", opType: "Other", domain: "com.example", inputs: [extra], outputs: [Value(name: "v")]))
  #expect {
    _ = try Executor(model: model)
  } throws: { error in
    (error as? KilnError)?.message == "the runtime has no kernel for: NoSuchOp, com.example::Other"
  }
}

@Test func feedsAreCheckedAgainstTheDeclaredInputs() throws {
  let model = identityModel(inputType: .tensor(.float, Shape([.symbolic("N"), .fixed(2)])))
  let executor = try Executor(model: model)
  let messages: [(String, [String: HostTensor])] = [
    ("input 'x' was not given", [:]),
    ("the model has no input named 'q'", ["x": try HostTensor(shape: [1, 2], values: [Float(0), 0]), "q": try HostTensor(scalar: Float(0))]),
    ("input 'x' is float32 but int64 was given", ["x": try HostTensor(shape: [1, 2], values: [Int64(0), 0])]),
    ("input 'x' has shape [N,2] but a tensor of shape [2, 3] was given", ["x": try HostTensor(shape: [2, 3], values: [Float](repeating: 0, count: 6))]),
  ]
  for (message, feeds) in messages {
    #expect {
      _ = try executor.run(feeds)
    } throws: { error in
      (error as? KilnError)?.message == message && (error as? KilnError)?.exitCode == 2
    }
  }
}

@Test func hostileShapesAreRefusedNotAllocated() {
  #expect(throws: KilnError.self) { try HostTensor(zeros: .float, shape: [1 << 40, 1 << 40]) }
  #expect(throws: KilnError.self) { try HostTensor(zeros: .float, shape: [-1]) }
}
