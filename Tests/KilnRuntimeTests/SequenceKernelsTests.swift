// Sequence and optional kernels, and sequences flowing through the executor, Identity and If.

import KilnIR
import KilnRuntime
import Testing

/// Runs the value kernel for `op` on `values`.
private func valueOutputs(
  _ op: String, opset: Int64 = 18, _ values: [RuntimeValue?], attributes: [Attribute] = []
) throws -> [RuntimeValue?] {
  let node = Node(name: "n", opType: op, attributes: attributes)
  guard let kernel = KernelRegistry.standard.valueKernel(for: node) else {
    throw KilnError.internalError("no kernel for \(op)")
  }
  return try kernel(KernelInvocation(node: node, opset: opset, values: values))
}

private func vector(_ values: [Float], _ shape: [Int]? = nil) throws -> HostTensor {
  try HostTensor(shape: shape ?? [values.count], values: values)
}

private func int64(_ value: Int64) throws -> RuntimeValue { .tensor(try HostTensor(scalar: value)) }

/// The tensors of a sequence output, as Float arrays.
private func elements(_ value: RuntimeValue?) -> [[Float]]? {
  value?.sequence?.map { $0.scalars(as: Float.self) }
}

@Test func sequenceConstructInsertAtEraseAndLength() throws {
  let a = try vector([1]), b = try vector([2, 3]), c = try vector([4])
  let built = try valueOutputs("SequenceConstruct", [.tensor(a), .tensor(b)])[0]
  #expect(elements(built) == [[1], [2, 3]])
  let front = try valueOutputs("SequenceInsert", [built, .tensor(c), try int64(-2)])[0]
  #expect(elements(front) == [[4], [1], [2, 3]])
  let back = try valueOutputs("SequenceInsert", [front, .tensor(a)])[0]
  #expect(elements(back) == [[4], [1], [2, 3], [1]])
  #expect(try valueOutputs("SequenceAt", [back, try int64(-2)])[0]?.tensor?.scalars(as: Float.self) == [2, 3])
  #expect(elements(try valueOutputs("SequenceErase", [back])[0]) == [[4], [1], [2, 3]])
  #expect(elements(try valueOutputs("SequenceErase", [back, try int64(0)])[0]) == [[1], [2, 3], [1]])
  #expect(try valueOutputs("SequenceLength", [back])[0]?.tensor?.scalars(as: Int64.self) == [4])
  #expect(elements(try valueOutputs("SequenceEmpty", [])[0]) == [])
}

@Test func sequenceKernelsRejectBadPositionsTypesAndKinds() throws {
  let sequence = RuntimeValue.sequence([try vector([1])])
  #expect(throws: KilnError.self) { try valueOutputs("SequenceAt", [sequence, try int64(1)]) }
  #expect(throws: KilnError.self) { try valueOutputs("SequenceInsert", [sequence, .tensor(try vector([1])), try int64(3)]) }
  #expect(throws: KilnError.self) { try valueOutputs("SequenceErase", [.sequence([])]) }
  #expect(throws: KilnError.self) {
    try valueOutputs("SequenceInsert", [sequence, .tensor(try HostTensor(scalar: Int64(1)))])
  }
  #expect(throws: KilnError.self) { try valueOutputs("SequenceLength", [.tensor(try vector([1]))]) }
  // A kernel written over tensors refuses a sequence instead of reading it as absent.
  #expect(throws: KilnError.self) { try valueOutputs("Relu", [sequence]) }
}

@Test func splitToSequenceByDefaultScalarAndListedLengths() throws {
  let data = try vector([1, 2, 3, 4, 5, 6], [3, 2])
  let ones = try valueOutputs("SplitToSequence", [.tensor(data)], attributes: [Attribute("keepdims", .int(0))])[0]
  #expect(ones?.sequence?.map(\.shape) == [[2], [2], [2]])
  #expect(elements(ones) == [[1, 2], [3, 4], [5, 6]])
  let chunks = try valueOutputs("SplitToSequence", [.tensor(data), try int64(2)])[0]
  #expect(chunks?.sequence?.map(\.shape) == [[2, 2], [1, 2]])
  let listed = try valueOutputs(
    "SplitToSequence", [.tensor(data), .tensor(try HostTensor(shape: [2], values: [Int64(1), 1]))],
    attributes: [Attribute("axis", .int(-1))])[0]
  #expect(elements(listed) == [[1, 3, 5], [2, 4, 6]])
  #expect(throws: KilnError.self) {
    try valueOutputs("SplitToSequence", [.tensor(data), .tensor(try HostTensor(shape: [2], values: [Int64(2), 2]))])
  }
  #expect(throws: KilnError.self) {
    try valueOutputs("SplitToSequence", [.tensor(data), .tensor(try HostTensor(shape: [2], values: [Int64.max, 2]))])
  }
  #expect(throws: KilnError.self) { try valueOutputs("SplitToSequence", [.tensor(data), try int64(0)]) }
}

@Test func concatFromSequenceJoinsOrStacks() throws {
  let sequence = RuntimeValue.sequence([try vector([1, 2], [1, 2]), try vector([3, 4], [1, 2])])
  let joined = try valueOutputs("ConcatFromSequence", [sequence], attributes: [Attribute("axis", .int(1))])[0]
  #expect(joined?.tensor?.shape == [1, 4])
  #expect(joined?.tensor?.scalars(as: Float.self) == [1, 2, 3, 4])
  let stacked = try valueOutputs(
    "ConcatFromSequence", [sequence], attributes: [Attribute("axis", .int(-1)), Attribute("new_axis", .int(1))])[0]
  #expect(stacked?.tensor?.shape == [1, 2, 2])
  #expect(stacked?.tensor?.scalars(as: Float.self) == [1, 3, 2, 4])
  #expect(throws: KilnError.self) {
    try valueOutputs("ConcatFromSequence", [.sequence([])], attributes: [Attribute("axis", .int(0))])
  }
  #expect(throws: KilnError.self) {
    try valueOutputs("ConcatFromSequence", [sequence], attributes: [Attribute("axis", .int(3))])
  }
}

@Test func optionalsWrapTestAndUnwrap() throws {
  let tensor = RuntimeValue.tensor(try vector([7]))
  let wrapped = try valueOutputs("Optional", [tensor])[0]
  let empty = try valueOutputs("Optional", [])[0]
  func has(_ value: RuntimeValue?) throws -> [Bool]? {
    try valueOutputs("OptionalHasElement", [value])[0]?.tensor?.scalars(as: Bool.self)
  }
  #expect(try has(wrapped) == [true])
  #expect(try has(empty) == [false])
  #expect(try has(nil) == [false])
  #expect(try has(tensor) == [true])
  #expect(try valueOutputs("OptionalGetElement", [wrapped])[0]?.tensor?.scalars(as: Float.self) == [7])
  #expect(try valueOutputs("OptionalGetElement", [tensor])[0]?.tensor?.scalars(as: Float.self) == [7])
  #expect(throws: KilnError.self) { try valueOutputs("OptionalGetElement", [empty]) }
}

/// x (a sequence) → SequenceMap(Add with the tensor t) → y, and Identity(x) → z.
private func sequenceMapModel() -> Model {
  let graph = Graph(name: "main")
  let x = Value(name: "x", type: .sequence(.tensor(.float, nil)))
  let t = Value(name: "t", type: .tensor(.float, nil))
  let y = Value(name: "y"), z = Value(name: "z")
  graph.inputs = [x, t]
  let body = Graph(name: "body")
  let element = Value(name: "element"), addend = Value(name: "addend"), sum = Value(name: "sum")
  body.inputs = [element, addend]
  body.append(Node(opType: "Add", inputs: [element, addend], outputs: [sum]))
  body.outputs = [sum]
  graph.append(Node(opType: "SequenceMap", inputs: [x, t], outputs: [y], attributes: [Attribute("body", .graph(body))]))
  graph.append(Node(opType: "Identity", inputs: [x], outputs: [z]))
  graph.outputs = [y, z]
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: graph)
}

@Test func sequencesFlowThroughTheExecutorAndSequenceMap() throws {
  let executor = try Executor(model: sequenceMapModel())
  let x = RuntimeValue.sequence([try vector([1, 2]), try vector([3])])
  let outputs = try executor.run(values: ["x": x, "t": .tensor(try vector([10]))])
  #expect(elements(outputs["y"]) == [[11, 12], [13]])
  #expect(elements(outputs["z"]) == [[1, 2], [3]])
  // A tensor where the graph declares a sequence, and the tensor-only entry point, both refuse.
  #expect(throws: KilnError.self) {
    try executor.run(values: ["x": .tensor(try vector([1])), "t": .tensor(try vector([10]))])
  }
  #expect(throws: KilnError.self) { try executor.run(["t": try vector([10])]) }
}

@Test func ifReturnsASequenceFromItsBranch() throws {
  let graph = Graph(name: "main")
  let condition = Value(name: "c", type: .tensor(.bool, nil)), x = Value(name: "x", type: .tensor(.float, nil))
  let y = Value(name: "y")
  graph.inputs = [condition, x]
  func branch(_ op: String) -> Graph {
    let branch = Graph(name: op)
    let out = Value(name: op + "_out")
    branch.append(Node(opType: op, inputs: op == "SequenceEmpty" ? [] : [x], outputs: [out]))
    branch.outputs = [out]
    return branch
  }
  graph.append(Node(
    opType: "If", inputs: [condition], outputs: [y],
    attributes: [Attribute("then_branch", .graph(branch("SequenceConstruct"))), Attribute("else_branch", .graph(branch("SequenceEmpty")))]))
  graph.outputs = [y]
  let executor = try Executor(model: Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 16)], graph: graph))
  let feed = RuntimeValue.tensor(try vector([5]))
  #expect(elements(try executor.run(values: ["c": .tensor(try HostTensor(scalar: true)), "x": feed])["y"]) == [[5]])
  #expect(elements(try executor.run(values: ["c": .tensor(try HostTensor(scalar: false)), "x": feed])["y"]) == [])
}
