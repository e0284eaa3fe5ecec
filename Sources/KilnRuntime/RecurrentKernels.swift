// LSTM, GRU and RNN: recurrent layers over a sequence, their gate products through sgemm.

import Foundation
import KilnIR

extension KernelFamily {
  /// RNN, GRU and LSTM as ONNX defines them: forward, reverse or bidirectional; layout 0
  /// (sequence first) or 1 (batch first); per-batch sequence_lens (a reverse pass starts at each
  /// sequence's own end, and steps past it leave zeros in Y and the state as it was); optional
  /// bias, initial_h, initial_c, LSTM peepholes and input_forget, GRU linear_before_reset;
  /// activations with activation_alpha/activation_beta; clip. The input projection of all steps
  /// is one sgemm, the recurrent projection one sgemm per step. Computes in float32 (float16
  /// and double are widened and narrowed back).
  static let recurrent = KernelFamily { registry in
    registry.register("RNN") { try recurrentKernel($0, cell: .rnn) }
    registry.register("GRU") { try recurrentKernel($0, cell: .gru) }
    registry.register("LSTM") { try recurrentKernel($0, cell: .lstm) }
  }

  private static func recurrentKernel(
    _ invocation: KernelInvocation, cell: RecurrentCell
  ) throws -> [HostTensor?] {
    let layer = try RecurrentLayer(invocation, cell: cell)
    let (s, d, b, h) = (layer.sequence, layer.directions, layer.batch, layer.hidden)
    let stateShape = layer.batchFirst ? [b, d, h] : [d, b, h]
    // Outputs first: their allocation checks the sizes the work buffers are bounded by.
    var outputs = [
      try HostTensor(zeros: .float, shape: layer.batchFirst ? [b, s, d, h] : [s, d, b, h]),
      try HostTensor(zeros: .float, shape: stateShape),
    ]
    if cell == .lstm { outputs.append(try HostTensor(zeros: .float, shape: stateShape)) }
    let y = outputs[0].mutableElements(as: Float.self), lastH = outputs[1].mutableElements(as: Float.self)
    for direction in 0..<d {
      let (finalH, finalC) = try layer.run(direction: direction, into: y)
      for entry in 0..<b {
        let target = layer.stateOffset(direction, entry)
        for unit in 0..<h { lastH[target + unit] = finalH[entry * h + unit] }
        if cell == .lstm {
          let lastC = outputs[2].mutableElements(as: Float.self)
          for unit in 0..<h { lastC[target + unit] = finalC[entry * h + unit] }
        }
      }
    }
    return try outputs.prefix(invocation.node.outputs.count).map {
      try FloatTensors.restore($0, to: layer.dataType, invocation)
    }
  }
}

/// The kind of recurrent cell: how many gates its weights stack and which activations it takes.
enum RecurrentCell {
  case rnn, gru, lstm

  /// Gates stacked in W, R and each half of B: RNN one, GRU z r h, LSTM i o f c.
  var gates: Int {
    switch self {
    case .rnn: 1
    case .gru: 3
    case .lstm: 4
    }
  }

  /// The activations of one direction when the node names none.
  var defaultActivations: [String] {
    switch self {
    case .rnn: ["Tanh"]
    case .gru: ["Sigmoid", "Tanh"]
    case .lstm: ["Sigmoid", "Tanh", "Tanh"]
    }
  }
}

/// One of the activation functions recurrent ops name, with its alpha and beta.
struct RecurrentActivation {
  /// The functions, by their lowercased ONNX names.
  enum Kind: String {
    case relu, tanh, sigmoid, softsign, softplus, affine, leakyrelu, thresholdedrelu, scaledtanh
    case hardsigmoid, elu

    /// The defaults of (alpha, beta); nil for a parameter the function does not take.
    var parameters: (alpha: Float?, beta: Float?) {
      switch self {
      case .relu, .tanh, .sigmoid, .softsign, .softplus: (nil, nil)
      case .affine: (1, 0)
      case .leakyrelu: (0.01, nil)
      case .thresholdedrelu, .elu: (1, nil)
      case .scaledtanh: (1, 1)
      case .hardsigmoid: (0.2, 0.5)
      }
    }
  }

  let kind: Kind
  let alpha: Float
  let beta: Float

  /// The activations `names` in order, each taking the next of `alphas` and `betas` if it uses
  /// one (its default once they run out). Throws for an unknown name.
  static func list(
    _ names: [String], alphas: [Float], betas: [Float], _ invocation: KernelInvocation
  ) throws -> [RecurrentActivation] {
    var alphas = alphas[...], betas = betas[...]
    return try names.map { name in
      guard let kind = Kind(rawValue: name.lowercased()) else {
        throw invocation.failure("unknown activation \(name)")
      }
      let (alpha, beta) = kind.parameters
      return RecurrentActivation(
        kind: kind, alpha: alpha.map { alphas.popFirst() ?? $0 } ?? 0,
        beta: beta.map { betas.popFirst() ?? $0 } ?? 0)
    }
  }

  /// The function at `x`.
  func callAsFunction(_ x: Float) -> Float {
    switch kind {
    case .relu: max(x, 0)
    case .tanh: Foundation.tanh(x)
    case .sigmoid: 1 / (1 + exp(-x))
    case .softsign: x / (1 + abs(x))
    case .softplus: log1p(exp(-abs(x))) + max(x, 0)
    case .affine: alpha * x + beta
    case .leakyrelu: x >= 0 ? x : alpha * x
    case .thresholdedrelu: x > alpha ? x : 0
    case .scaledtanh: alpha * Foundation.tanh(beta * x)
    case .hardsigmoid: min(max(alpha * x + beta, 0), 1)
    case .elu: x >= 0 ? x : alpha * (exp(x) - 1)
    }
  }
}

/// A recurrent node's validated inputs and attributes, in float32, and the per-direction pass.
struct RecurrentLayer {
  let cell: RecurrentCell
  let dataType: DataType
  let sequence: Int, batch: Int, inputSize: Int, hidden: Int, directions: Int
  let batchFirst: Bool
  let reverseOnly: Bool
  let x: [Float], w: [Float], r: [Float], bias: [Float]
  let lengths: [Int]
  let initialH: [Float]?, initialC: [Float]?, peepholes: [Float]?
  let activations: [RecurrentActivation]
  let clip: Float?
  let inputForget: Bool
  let linearBeforeReset: Bool

  init(_ invocation: KernelInvocation, cell: RecurrentCell) throws {
    self.cell = cell
    let xTensor = try invocation.input(0)
    let wTensor = try invocation.input(1)
    let rTensor = try invocation.input(2)
    let dataType = xTensor.dataType
    self.dataType = dataType
    guard wTensor.dataType == dataType, rTensor.dataType == dataType else {
      throw invocation.failure("X, W and R differ in element type")
    }
    guard xTensor.rank == 3, wTensor.rank == 3, rTensor.rank == 3 else {
      throw invocation.failure("X, W and R must be 3-D, got \(xTensor.shape), \(wTensor.shape), \(rTensor.shape)")
    }
    let direction = invocation.string("direction", default: "forward")
    guard ["forward", "reverse", "bidirectional"].contains(direction) else {
      throw invocation.failure("unknown direction \(direction)")
    }
    directions = direction == "bidirectional" ? 2 : 1
    reverseOnly = direction == "reverse"
    let layout = invocation.int("layout", default: 0)
    guard layout == 0 || layout == 1 else { throw invocation.failure("layout must be 0 or 1, not \(layout)") }
    batchFirst = layout == 1
    (sequence, batch) = batchFirst ? (xTensor.shape[1], xTensor.shape[0]) : (xTensor.shape[0], xTensor.shape[1])
    inputSize = xTensor.shape[2]
    hidden = rTensor.shape[2]
    let gateRows = cell.gates * hidden
    if invocation.int("hidden_size", default: hidden) != hidden {
      throw invocation.failure("hidden_size does not match R of shape \(rTensor.shape)")
    }
    guard wTensor.shape == [directions, gateRows, inputSize], rTensor.shape == [directions, gateRows, hidden] else {
      throw invocation.failure("W \(wTensor.shape) or R \(rTensor.shape) does not fit X \(xTensor.shape), \(directions) direction(s) and hidden size \(hidden)")
    }
    _ = try HostTensor.elementCount(of: [sequence, batch, directions, gateRows])
    x = try Self.floats(xTensor, invocation)
    w = try Self.floats(wTensor, invocation)
    r = try Self.floats(rTensor, invocation)
    bias = try Self.optionalFloats(3, shape: [directions, 2 * gateRows], dataType, invocation)
      ?? [Float](repeating: 0, count: directions * 2 * gateRows)
    let stateShape = batchFirst ? [batch, directions, hidden] : [directions, batch, hidden]
    initialH = try Self.optionalFloats(5, shape: stateShape, dataType, invocation)
    initialC = cell == .lstm ? try Self.optionalFloats(6, shape: stateShape, dataType, invocation) : nil
    peepholes = cell == .lstm ? try Self.optionalFloats(7, shape: [directions, 3 * hidden], dataType, invocation) : nil
    lengths = try Self.lengths(invocation, batch: batch, sequence: sequence)
    activations = try Self.activations(invocation, cell: cell, directions: directions)
    if case .float(let value)? = invocation.node.attribute("clip") {
      guard value > 0 else { throw invocation.failure("clip must be positive, not \(value)") }
      clip = value
    } else {
      clip = nil
    }
    inputForget = invocation.int("input_forget", default: 0) != 0
    linearBeforeReset = invocation.int("linear_before_reset", default: 0) != 0
  }

  private static func floats(_ tensor: HostTensor, _ invocation: KernelInvocation) throws -> [Float] {
    Array(try FloatTensors.toFloat(tensor, invocation).elements(as: Float.self))
  }

  /// Optional input `index` as floats, checked against `shape` and the node's element type.
  private static func optionalFloats(
    _ index: Int, shape: [Int], _ dataType: DataType, _ invocation: KernelInvocation
  ) throws -> [Float]? {
    guard let tensor = invocation.optionalInput(index) else { return nil }
    guard tensor.shape == shape, tensor.dataType == dataType else {
      throw invocation.failure("input \(index) must be \(dataType.name) of shape \(shape), not \(tensor.dataType.name) \(tensor.shape)")
    }
    return try floats(tensor, invocation)
  }

  private static func lengths(_ invocation: KernelInvocation, batch: Int, sequence: Int) throws -> [Int] {
    guard let tensor = invocation.optionalInput(4) else { return Array(repeating: sequence, count: batch) }
    let values = try invocation.intValues(of: tensor)
    guard tensor.shape == [batch], values.allSatisfy({ (0...sequence).contains($0) }) else {
      throw invocation.failure("sequence_lens must hold \(batch) lengths in 0...\(sequence)")
    }
    return values
  }

  private static func activations(
    _ invocation: KernelInvocation, cell: RecurrentCell, directions: Int
  ) throws -> [RecurrentActivation] {
    let perDirection = cell.defaultActivations.count
    let names: [String]
    if case .strings(let given)? = invocation.node.attribute("activations") {
      names = given.map { String(decoding: $0, as: UTF8.self) }
    } else {
      names = Array([[String]](repeating: cell.defaultActivations, count: directions).joined())
    }
    guard names.count == perDirection * directions else {
      throw invocation.failure("needs \(perDirection * directions) activations, got \(names.count)")
    }
    let alphas = floats("activation_alpha", invocation), betas = floats("activation_beta", invocation)
    return try RecurrentActivation.list(names, alphas: alphas, betas: betas, invocation)
  }

  /// A floats attribute, or none.
  private static func floats(_ name: String, _ invocation: KernelInvocation) -> [Float] {
    if case .floats(let values)? = invocation.node.attribute(name) { return values }
    return []
  }

  /// Where the state of (`direction`, batch entry `b`) starts in Y_h and Y_c.
  func stateOffset(_ direction: Int, _ b: Int) -> Int {
    (batchFirst ? b * directions + direction : direction * batch + b) * hidden
  }

  /// Where Y's hidden vector for time `t`, `direction` and batch entry `b` starts.
  private func outputOffset(_ t: Int, _ direction: Int, _ b: Int) -> Int {
    (batchFirst ? (b * sequence + t) * directions + direction : (t * directions + direction) * batch + b) * hidden
  }

  /// The row of X (and of the input projection) for time `t` and batch entry `b`.
  private func inputRow(_ t: Int, _ b: Int) -> Int {
    batchFirst ? b * sequence + t : t * batch + b
  }

  /// Runs one direction, writing its hidden states into `y`; returns the final H and C, each
  /// [batch, hidden].
  func run(direction: Int, into y: UnsafeMutableBufferPointer<Float>) throws -> (h: [Float], c: [Float]) {
    let gateRows = cell.gates * hidden
    let reverse = reverseOnly || direction == 1
    var h = initialState(initialH, direction)
    var c = initialState(initialC, direction)
    guard hidden > 0 else { return (h, c) }
    let projectedTensor = try inputProjection(direction)
    defer { withExtendedLifetime(projectedTensor) {} }
    let projected = UnsafeBufferPointer(projectedTensor.mutableElements(as: Float.self))
    let functions = Array(activations[(direction * cell.defaultActivations.count)...])
    let weights = direction * gateRows * hidden
    var recurrent = [Float](repeating: 0, count: batch * gateRows)
    for step in 0..<(lengths.max() ?? 0) {
      try product(h, rows: batch, r, weights, outputs: gateRows, inner: hidden, into: &recurrent)
      var active: [(b: Int, t: Int)] = []
      for b in 0..<batch where step < lengths[b] {
        active.append((b, reverse ? lengths[b] - 1 - step : step))
      }
      switch cell {
      case .rnn, .lstm:
        for (b, t) in active {
          let row = inputRow(t, b) * gateRows
          for unit in 0..<hidden {
            if cell == .rnn {
              h[b * hidden + unit] = functions[0](clipped(projected[row + unit] + recurrent[b * gateRows + unit]))
            } else {
              lstmUnit(b, unit, projected, row, recurrent, direction, functions, &h, &c)
            }
          }
        }
      case .gru:
        try gruStep(active, projected, recurrent, direction, functions, &h)
      }
      for (b, t) in active {
        let target = outputOffset(t, direction, b)
        for unit in 0..<hidden { y[target + unit] = h[b * hidden + unit] }
      }
    }
    return (h, c)
  }

  /// X·Wᵀ for every time step and batch entry, rows in X's order, plus the biases that add
  /// straight to it (all but GRU's Rbh under linear_before_reset).
  private func inputProjection(_ direction: Int) throws -> HostTensor {
    let gateRows = cell.gates * hidden
    let result = try HostTensor(zeros: .float, shape: [sequence * batch, gateRows])
    let projected = result.mutableElements(as: Float.self)
    try x.withUnsafeBufferPointer { input in
      try product(input, rows: sequence * batch, w, direction * gateRows * inputSize, outputs: gateRows, inner: inputSize, into: projected)
    }
    let biases = direction * 2 * gateRows
    var rowBias = (0..<gateRows).map { bias[biases + $0] + bias[biases + gateRows + $0] }
    if cell == .gru && linearBeforeReset {
      for unit in 0..<hidden { rowBias[2 * hidden + unit] = bias[biases + 2 * hidden + unit] }
    }
    for row in 0..<(sequence * batch) {
      for gate in 0..<gateRows { projected[row * gateRows + gate] += rowBias[gate] }
    }
    return result
  }

  /// `state`'s [batch, hidden] block for `direction`, or zeros.
  private func initialState(_ state: [Float]?, _ direction: Int) -> [Float] {
    var result = [Float](repeating: 0, count: batch * hidden)
    guard let state else { return result }
    for b in 0..<batch {
      let source = stateOffset(direction, b)
      result.replaceSubrange((b * hidden)..<((b + 1) * hidden), with: state[source..<(source + hidden)])
    }
    return result
  }

  private func clipped(_ value: Float) -> Float {
    clip.map { min(max(value, -$0), $0) } ?? value
  }

  /// One LSTM unit of batch entry `b`: gates i o f c with optional peepholes; updates H and C.
  private func lstmUnit(
    _ b: Int, _ unit: Int, _ projected: UnsafeBufferPointer<Float>, _ row: Int, _ recurrent: [Float], _ direction: Int,
    _ functions: [RecurrentActivation], _ h: inout [Float], _ c: inout [Float]
  ) {
    let gateRows = 4 * hidden
    func gate(_ index: Int) -> Float {
      projected[row + index * hidden + unit] + recurrent[b * gateRows + index * hidden + unit]
    }
    func peephole(_ index: Int) -> Float {
      peepholes.map { $0[direction * 3 * hidden + index * hidden + unit] } ?? 0
    }
    let state = b * hidden + unit
    let previous = c[state]
    let input = functions[0](clipped(gate(0) + peephole(0) * previous))
    let forget = inputForget ? 1 - input : functions[0](clipped(gate(2) + peephole(2) * previous))
    let candidate = functions[1](clipped(gate(3)))
    let cellState = forget * previous + input * candidate
    let output = functions[0](clipped(gate(1) + peephole(1) * cellState))
    c[state] = cellState
    h[state] = output * functions[2](cellState)
  }

  /// One GRU step over the `active` batch entries: gates z r h, then H = (1 − z)·h̃ + z·H.
  private func gruStep(
    _ active: [(b: Int, t: Int)], _ projected: UnsafeBufferPointer<Float>, _ recurrent: [Float], _ direction: Int,
    _ functions: [RecurrentActivation], _ h: inout [Float]
  ) throws {
    let gateRows = 3 * hidden
    var update = [Float](repeating: 0, count: batch * hidden)
    var reset = update
    for (b, t) in active {
      let row = inputRow(t, b) * gateRows
      for unit in 0..<hidden {
        update[b * hidden + unit] = functions[0](clipped(projected[row + unit] + recurrent[b * gateRows + unit]))
        reset[b * hidden + unit] = functions[0](clipped(projected[row + hidden + unit] + recurrent[b * gateRows + hidden + unit]))
      }
    }
    var hiddenTerm = [Float](repeating: 0, count: batch * hidden)
    if linearBeforeReset {
      let recurrentBias = direction * 2 * gateRows + gateRows + 2 * hidden
      for (b, _) in active {
        for unit in 0..<hidden {
          let linear = recurrent[b * gateRows + 2 * hidden + unit] + bias[recurrentBias + unit]
          hiddenTerm[b * hidden + unit] = reset[b * hidden + unit] * linear
        }
      }
    } else {
      let resetState = zip(reset, h).map { $0 * $1 }
      let weights = (direction * gateRows + 2 * hidden) * hidden
      try product(resetState, rows: batch, r, weights, outputs: hidden, inner: hidden, into: &hiddenTerm)
    }
    for (b, t) in active {
      let row = inputRow(t, b) * gateRows
      for unit in 0..<hidden {
        let state = b * hidden + unit
        let candidate = functions[1](clipped(projected[row + 2 * hidden + unit] + hiddenTerm[state]))
        h[state] = (1 - update[state]) * candidate + update[state] * h[state]
      }
    }
  }

  /// Writes the [rows, outputs] product `a · Wᵀ` into `out`, W being the `outputs`×`inner`
  /// row-major block of `weights` at `offset`: `out[i][j] = Σₖ a[i][k] · weights[offset + j·inner + k]`.
  /// Leaves `out` alone when a size is 0.
  private func product(
    _ a: UnsafeBufferPointer<Float>, rows: Int, _ weights: [Float], _ offset: Int, outputs: Int, inner: Int,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    guard rows > 0, outputs > 0, inner > 0, let pa = a.baseAddress, let pc = out.baseAddress,
      a.count >= rows * inner, out.count >= rows * outputs, weights.count >= offset + outputs * inner
    else { return }
    try weights.withUnsafeBufferPointer { pw in
      try LinearAlgebra.sgemm(
        m: rows, n: outputs, k: inner, a: pa, b: pw.baseAddress! + offset, c: pc, transB: true)
    }
  }

  /// `product` from and into arrays.
  private func product(
    _ a: [Float], rows: Int, _ weights: [Float], _ offset: Int, outputs: Int, inner: Int,
    into out: inout [Float]
  ) throws {
    try a.withUnsafeBufferPointer { pa in
      try out.withUnsafeMutableBufferPointer { pc in
        try product(pa, rows: rows, weights, offset, outputs: outputs, inner: inner, into: pc)
      }
    }
  }
}
