// RNN, GRU, LSTM: directions, layouts, sequence lengths, activations, peepholes, bad shapes.
// Weights of size 1 with linear (Affine) activations keep the numbers checkable by hand.

import Foundation
import KilnIR
import KilnRuntime
import Testing

/// Runs `op` at opset 14 on a node with `outputs` outputs and returns their float values.
private func run(
  _ op: String, _ inputs: [HostTensor?], _ attributes: [Attribute] = [], outputs: Int = 2
) throws -> [HostTensor] {
  let node = Node(
    name: "n", opType: op, outputs: (0..<outputs).map { Value(name: "out\($0)") }, attributes: attributes)
  guard let kernel = KernelRegistry.standard.kernel(for: node) else {
    throw KilnError.internalError("no kernel for \(op)")
  }
  return try kernel(KernelInvocation(node: node, opset: 14, inputs: inputs)).compactMap { $0 }
}

private func strings(_ name: String, _ values: [String]) -> Attribute {
  Attribute(name, .strings(values.map { Data($0.utf8) }))
}

private func text(_ name: String, _ value: String) -> Attribute {
  Attribute(name, .string(Data(value.utf8)))
}

/// X of three steps, one batch entry, one input: 1, 2, 3; and the 1-unit RNN weights
/// W = 1, R = 0.5 for each of `directions` directions.
private func rnnInputs(directions: Int = 1) throws -> [HostTensor?] {
  [
    try floats([1, 2, 3], [3, 1, 1]),
    try floats(Array(repeating: 1, count: directions), [directions, 1, 1]),
    try floats(Array(repeating: 0.5, count: directions), [directions, 1, 1]),
  ]
}

@Test func rnnRunsForwardAndBothWays() throws {
  // H_t = x_t + 0.5 H_{t-1}: forward 1, 2.5, 4.25; backward from the end 3, 3.5, 2.75.
  let forward = try run("RNN", rnnInputs(), [strings("activations", ["Affine"])])
  #expect(forward[0].shape == [3, 1, 1, 1])
  #expect(forward[0].scalars(as: Float.self) == [1, 2.5, 4.25])
  #expect(forward[1].scalars(as: Float.self) == [4.25])
  let both = try run(
    "RNN", rnnInputs(directions: 2),
    [text("direction", "bidirectional"), strings("activations", ["Affine", "Affine"])])
  #expect(both[0].shape == [3, 2, 1, 1])
  #expect(both[0].scalars(as: Float.self) == [1, 2.75, 2.5, 3.5, 4.25, 3])
  #expect(both[1].scalars(as: Float.self) == [4.25, 2.75])
}

@Test func rnnDefaultsToTanhAndAppliesAlphaBetaAndClip() throws {
  let tanhResult = try run("RNN", rnnInputs())
  #expect(close(Array(tanhResult[0].scalars(as: Float.self).prefix(1)), [tanh(1)]))
  // 2 · (x + 0.5 H) + 1: 3, 2·(2 + 1.5) + 1 = 8, 2·(3 + 4) + 1 = 15.
  let scaled = try run(
    "RNN", rnnInputs(),
    [strings("activations", ["Affine"]), Attribute("activation_alpha", .floats([2])), Attribute("activation_beta", .floats([1]))])
  #expect(scaled[0].scalars(as: Float.self) == [3, 8, 15])
  // Pre-activations clipped to 1.5: 1, 2 → 1.5, 3 + 0.75 → 1.5.
  let clipped = try run("RNN", rnnInputs(), [strings("activations", ["Affine"]), Attribute("clip", .float(1.5))])
  #expect(clipped[0].scalars(as: Float.self) == [1, 1.5, 1.5])
}

@Test func rnnKnowsEveryActivationWithItsDefaults() throws {
  let inputs: [HostTensor?] = [try floats([-1], [1, 1, 1]), try floats([1], [1, 1, 1]), try floats([0], [1, 1, 1])]
  let expected: [(String, Float)] = [
    ("Relu", 0), ("LeakyRelu", -0.01), ("ThresholdedRelu", 0), ("HardSigmoid", 0.3),
    ("Elu", Float(exp(-1.0) - 1)), ("Softsign", -0.5), ("Softplus", Float(log(1 + exp(-1.0)))),
    ("ScaledTanh", Float(tanh(-1.0))), ("Sigmoid", Float(1 / (1 + exp(1.0)))),
  ]
  for (name, value) in expected {
    let result = try run("RNN", inputs, [strings("activations", [name])])
    #expect(close(result[1].scalars(as: Float.self), [value]), "\(name)")
  }
}

@Test func rnnHonoursSequenceLengthsInitialStateAndBatchFirstLayout() throws {
  // Batch entry 0 runs 3 steps over 1, 2, 3 from H = 2; entry 1 runs 2 steps over 4, 5 from 0.
  let x = try floats([1, 4, 2, 5, 3, 6], [3, 2, 1])
  let lengths = try HostTensor(shape: [2], values: [Int32(3), 2])
  let initial = try floats([2, 0], [1, 2, 1])
  let inputs: [HostTensor?] = try [x] + rnnInputs().dropFirst() + [nil, lengths, initial]
  let result = try run("RNN", inputs, [strings("activations", ["Affine"])])
  #expect(result[0].scalars(as: Float.self) == [2, 4, 3, 7, 4.5, 0])
  #expect(result[1].scalars(as: Float.self) == [4.5, 7])
  let reversed = try run("RNN", inputs, [strings("activations", ["Affine"]), text("direction", "reverse")])
  // Entry 0 runs 3 + 1, 2 + 2, 1 + 2; entry 1 starts at its own last step: 5, then 4 + 2.5.
  #expect(reversed[0].scalars(as: Float.self) == [3, 6.5, 4, 5, 4, 0])
  #expect(reversed[1].scalars(as: Float.self) == [3, 6.5])
  let batchFirst = try run(
    "RNN", [try floats([1, 2, 3, 4, 5, 6], [2, 3, 1])] + rnnInputs().dropFirst(),
    [strings("activations", ["Affine"]), Attribute("layout", .int(1))])
  #expect(batchFirst[0].shape == [2, 3, 1, 1])
  #expect(batchFirst[0].scalars(as: Float.self) == [1, 2.5, 4.25, 4, 7, 9.5])
  #expect(batchFirst[1].shape == [2, 1, 1])
}

@Test func gruResetsBeforeOrAfterTheLinearMap() throws {
  // W and R are 0 for z and r (so both are 0.5) and 1 for h; Rbh = 1; h̃ is linear.
  let x = try floats([2, 4], [2, 1, 1])
  let weights = try floats([0, 0, 1], [1, 3, 1])
  let bias = try floats([0, 0, 0, 0, 0, 1], [1, 6])
  let attributes = [strings("activations", ["Sigmoid", "Affine"])]
  // h̃ = x + 0.5·H + 1, H = 0.5·h̃ + 0.5·H: 1.5, then 0.5·5.75 + 0.75.
  let after = try run("GRU", [x, weights, weights, bias], attributes)
  #expect(after[0].scalars(as: Float.self) == [1.5, 3.625])
  // h̃ = x + 0.5·(H + 1): 1.25, then 0.5·5.125 + 0.625.
  let before = try run("GRU", [x, weights, weights, bias], attributes + [Attribute("linear_before_reset", .int(1))])
  #expect(before[0].scalars(as: Float.self) == [1.25, 3.1875])
  #expect(before[1].scalars(as: Float.self) == [3.1875])
}

@Test func lstmUpdatesCellAndHiddenState() throws {
  // Gates i o f are sigmoid(0) = 0.5, c̃ = x: C = 0.5·C + 0.5·x, H = 0.5·C.
  let x = try floats([2, 4], [2, 1, 1])
  let w = try floats([0, 0, 0, 1], [1, 4, 1])
  let r = try floats([0, 0, 0, 0], [1, 4, 1])
  let result = try run("LSTM", [x, w, r], [strings("activations", ["Sigmoid", "Affine", "Affine"])], outputs: 3)
  #expect(result[0].scalars(as: Float.self) == [0.5, 1.25])
  #expect(result[1].scalars(as: Float.self) == [1.25])
  #expect(result[2].scalars(as: Float.self) == [2.5])
}

@Test func lstmUsesPeepholesAndCoupledForgetGate() throws {
  // Linear gates with biases i 0.5, o 1, f 0.5 and peepholes Pi 1, Po 1, Pf 0.5, from C = 2:
  // i = 2.5, f = 1.5, C = 1.5·2 + 2.5·1 = 5.5, o = 1 + 5.5, H = 6.5 · 5.5.
  let x = try floats([1], [1, 1, 1])
  let w = try floats([0, 0, 0, 1], [1, 4, 1])
  let r = try floats([0, 0, 0, 0], [1, 4, 1])
  let bias = try floats([0.5, 1, 0.5, 0, 0, 0, 0, 0], [1, 8])
  let initialH = try floats([0], [1, 1, 1]), initialC = try floats([2], [1, 1, 1])
  let peepholes = try floats([1, 1, 0.5], [1, 3])
  let inputs: [HostTensor?] = [x, w, r, bias, nil, initialH, initialC, peepholes]
  let linear = strings("activations", ["Affine", "Affine", "Affine"])
  let result = try run("LSTM", inputs, [linear], outputs: 3)
  #expect(result[1].scalars(as: Float.self) == [35.75])
  #expect(result[2].scalars(as: Float.self) == [5.5])
  // input_forget: f = 1 − i = −1.5, C = −3 + 2.5, o = 1 − 0.5, H = 0.5 · −0.5.
  let coupled = try run("LSTM", inputs, [linear, Attribute("input_forget", .int(1))], outputs: 3)
  #expect(coupled[1].scalars(as: Float.self) == [-0.25])
  #expect(coupled[2].scalars(as: Float.self) == [-0.5])
}

@Test func recurrentOpsRejectBadInputs() throws {
  let inputs = try rnnInputs()
  #expect(throws: KilnError.self) { try run("RNN", [inputs[0], try floats([1, 1], [1, 2, 1]), inputs[2]]) }
  #expect(throws: KilnError.self) {
    try run("RNN", inputs + [nil, try HostTensor(shape: [1], values: [Int32(4)])])
  }
  #expect(throws: KilnError.self) { try run("RNN", inputs, [strings("activations", ["Swish"])]) }
  #expect(throws: KilnError.self) { try run("RNN", inputs, [text("direction", "sideways")]) }
  #expect(throws: KilnError.self) { try run("GRU", inputs, [Attribute("hidden_size", .int(3))]) }
  #expect(throws: KilnError.self) { try run("LSTM", [inputs[0], inputs[1]]) }
  // An empty X whose sequence and batch would make Y far too large to allocate.
  let huge = try HostTensor(zeros: .float, shape: [1 << 24, 1 << 24, 0])
  #expect(throws: KilnError.self) { try run("RNN", [huge, try floats([], [1, 1, 0]), inputs[2]]) }
}
