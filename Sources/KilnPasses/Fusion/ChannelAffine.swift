// A per-output-channel affine map y = a·x + b, and folding it into the op that produces x.

import KilnIR

/// Why a fusion declined a match; the text completes "skipped: …" in a note.
struct Declined: Error {
  let reason: String
  init(_ reason: String) { self.reason = reason }
}

/// `y[:, c, …] = scale[c] · x[:, c, …] + shift[c]`: what an inference BatchNormalization or a
/// per-channel Mul/Add computes on the output of a linear op, and can be folded into it:
///
///     Conv:          W'[c, …] = scale[c] · W[c, …]               B'[c] = scale[c] · B[c] + shift[c]
///     ConvTranspose: W'[i, j, …] = scale[g·C/group + j] · W[i, j, …]   (W is [C_in, C/group, …], g = i / (C_in/group))
///     Gemm:          column n of op(B) scaled by scale[n]        C'[n] = scale[n] · β·C[n] + shift[n], β' = 1
///     MatMul(A, B):  becomes Gemm(A, B', shift) with B' columns scaled (A 2-D)
///
/// Weights and biases must be constants that no caller can override, of float32, float16 or
/// float64; the math runs in Double and each new value is rounded once. The result is a new
/// node with new initializers: the old ones may be read elsewhere and are never changed.
struct ChannelAffine {
  var scale: [Double]
  var shift: [Double]

  var channels: Int { scale.count }

  /// A node computing `affine(producer(…))`, to take the place of the node that applied the
  /// map; it does not touch the graph beyond adding initializers.
  func fold(into producer: Node, graph: Graph, context: PassContext) throws(Declined) -> Node {
    let opset = context.opsetVersion(producer.domain) ?? 0
    switch producer.opType {
    case "Conv": return try foldIntoConvolution(producer, graph: graph, transposed: false, context)
    case "ConvTranspose": return try foldIntoConvolution(producer, graph: graph, transposed: true, context)
    case "Gemm": return try foldIntoGemm(producer, graph: graph, opset: opset, context)
    case "MatMul": return try foldIntoMatMul(producer, graph: graph, opset: opset, context)
    default: throw Declined("\(producer.opType) is not a linear op the map folds into")
    }
  }

  // MARK: Convolutions

  private func foldIntoConvolution(
    _ conv: Node, graph: Graph, transposed: Bool, _ context: PassContext
  ) throws(Declined) -> Node {
    guard conv.inputs.count >= 2, let x = conv.inputs[0] else { throw Declined("the convolution has no input") }
    let weight = try Parameter.read(conv, input: 1, in: graph, what: "the weight")
    let dims = weight.tensor.dims
    guard dims.count >= 3 else { throw Declined("the weight has rank \(dims.count)") }
    let group = Int(conv.int("group", default: 1))
    let perGroup = Int(dims[1])
    let outputChannels = transposed ? group * perGroup : Int(dims[0])
    guard group >= 1, outputChannels == channels, !transposed || Int(dims[0]) % group == 0 else {
      throw Declined("the weight has \(outputChannels) output channels, the map \(channels)")
    }
    let bias = try biasValues(conv, input: 2, graph: graph)

    // One slab of `kernelSize` elements per (dim 0, dim 1) pair; find its output channel.
    let kernelSize = dims.dropFirst(2).reduce(1) { $0 * Int($1) }
    let inputsPerGroup = transposed ? Int(dims[0]) / group : 1
    let scaled = try scaledWeight(weight, runs: ChannelRuns(length: kernelSize) { slab in
      transposed ? slab / perGroup / inputsPerGroup * perGroup + slab % perGroup : slab / perGroup
    })
    let newBias = (0..<channels).map { scale[$0] * bias[$0] + shift[$0] }
    return try makeNode(like: conv, graph: graph, inputs: [x], weight: (weight, scaled), bias: newBias, attributes: conv.attributes, context)
  }

  // MARK: Gemm and MatMul

  private func foldIntoGemm(_ gemm: Node, graph: Graph, opset: Int64, _ context: PassContext) throws(Declined) -> Node {
    guard opset >= 7 else { throw Declined("Gemm before opset 7 does not broadcast C") }
    guard gemm.inputs.count >= 2, let a = gemm.inputs[0] else { throw Declined("the Gemm has no input A") }
    let weight = try Parameter.read(gemm, input: 1, in: graph, what: "B")
    let runs = try columnRuns(weight, transposed: gemm.int("transB", default: 0) != 0)
    let bias = try biasValues(gemm, input: 2, graph: graph)
    let scaled = try scaledWeight(weight, runs: runs)
    let beta = Double(gemm.float("beta", default: 1))
    let newBias = (0..<channels).map { scale[$0] * beta * bias[$0] + shift[$0] }
    let attributes = gemm.attributes.setting("beta", to: .float(1))
    return try makeNode(like: gemm, graph: graph, inputs: [a], weight: (weight, scaled), bias: newBias, attributes: attributes, context)
  }

  private func foldIntoMatMul(_ matmul: Node, graph: Graph, opset: Int64, _ context: PassContext) throws(Declined) -> Node {
    guard opset >= 7 else { throw Declined("Gemm before opset 7 does not broadcast C") }
    guard matmul.inputs.count == 2, let a = matmul.inputs[0] else { throw Declined("the MatMul has no input A") }
    // The map acts on axis 1; only a 2-D product has its columns there.
    guard a.tensorShape?.rank == 2 else { throw Declined("A is not known to be 2-D") }
    let weight = try Parameter.read(matmul, input: 1, in: graph, what: "B")
    let scaled = try scaledWeight(weight, runs: columnRuns(weight, transposed: false))
    let gemm = Node(name: matmul.name, opType: "Gemm", domain: matmul.domain)
    return try makeNode(like: gemm, graph: graph, inputs: [a], weight: (weight, scaled), bias: shift, attributes: [], context)
  }

  /// The channel of each element of B: n for column n of op(B), which is row n (a run of K
  /// elements) when `transposed`; throws when B is not a matrix with `channels` columns.
  private func columnRuns(_ weight: Parameter, transposed: Bool) throws(Declined) -> ChannelRuns {
    let dims = weight.tensor.dims
    guard dims.count == 2, Int(transposed ? dims[0] : dims[1]) == channels else {
      throw Declined("B is not a [K, \(channels)] matrix")
    }
    let columns = Int(dims[1])
    return transposed ? ChannelRuns(length: columns) { $0 } : ChannelRuns(length: 1) { $0 % columns }
  }

  // MARK: Parts

  /// The weight with each run scaled by `scale[runs.channel(run)]`, or nil when every scale is
  /// 1 and the weight stays as it is (a map that only shifts, an Add).
  private func scaledWeight(_ weight: Parameter, runs: ChannelRuns) throws(Declined) -> Tensor? {
    guard !scale.allSatisfy({ $0 == 1 }) else { return nil }
    return try weight.scaled(runLength: runs.length) { scale[runs.channel($0)] }
  }

  /// The bias at input `input` broadcast to one value per channel (zeros when omitted); it must
  /// be a fixed constant whose shape broadcasts to [channels] (only its last dim may exceed 1).
  private func biasValues(_ node: Node, input: Int, graph: Graph) throws(Declined) -> [Double] {
    guard node.inputs.count > input, node.inputs[input] != nil else { return (Array(repeating: 0, count: channels)) }
    let bias = try Parameter.read(node, input: input, in: graph, what: "the bias")
    let dims = bias.tensor.dims
    let values = try bias.values()
    guard dims.count <= 2, dims.dropLast().allSatisfy({ $0 == 1 }), [1, channels].contains(values.count) else {
      throw Declined("the bias of shape \(dims) is not one value per channel")
    }
    return values.count == 1 ? Array(repeating: values[0], count: channels) : values
  }

  /// A node of `template`'s op, name and domain reading `inputs + [W', B']`, where W' is the
  /// scaled weight (the weight itself when nil) and B' is 1-D of the weight's type.
  private func makeNode(
    like template: Node, graph: Graph, inputs: [Value], weight: (Parameter, Tensor?), bias: [Double],
    attributes: [Attribute], _ context: PassContext
  ) throws(Declined) -> Node {
    let type = weight.0.tensor.dataType
    guard let newBias = try? Tensor(dataType: type, values: bias) else {
      throw Declined("the folded constants cannot be written as \(type.name)")
    }
    let w = weight.1.map { graph.addInitializer($0, named: weight.0.value.name, context) } ?? weight.0.value
    let oldBias = template.inputs.count > 2 ? template.inputs[2] : nil
    // A convolution without bias stays without one when the map adds nothing (a plain Mul).
    if oldBias == nil, template.opType != "Gemm", bias.allSatisfy({ $0 == 0 }) {
      return Node(name: template.name, opType: template.opType, domain: template.domain, inputs: inputs + [w], attributes: attributes)
    }
    let b = graph.addInitializer(newBias, named: oldBias?.name ?? Graph.fusedStem(weight.0.value.name) + "_bias", context)
    return Node(name: template.name, opType: template.opType, domain: template.domain, inputs: inputs + [w, b], attributes: attributes)
  }
}

/// A constant float input of a node, with the checks every fusion needs; its elements are
/// read only when asked for.
struct Parameter {
  let value: Value
  let tensor: Tensor
  /// What the input is, for reasons: "the weight", "B", ….
  let what: String

  /// Input `input` of `node`: present, a constant no caller can override, of float32/16/64.
  static func read(_ node: Node, input: Int, in graph: Graph, what: String) throws(Declined) -> Parameter {
    guard node.inputs.count > input, let value = node.inputs[input] else { throw Declined("\(what) is missing") }
    return try read(value, in: graph, what: what)
  }

  /// `value`: a constant no caller can override, of float32/16/64, with as many bytes as its
  /// dims need.
  static func read(_ value: Value, in graph: Graph, what: String) throws(Declined) -> Parameter {
    guard graph.isFixedConstant(value), let tensor = value.constantTensor else {
      throw Declined("\(what) '\(value.name)' is not a constant (or is an overridable graph input)")
    }
    guard fusibleFloatTypes.contains(tensor.dataType) else {
      throw Declined("\(what) '\(value.name)' is \(tensor.dataType.name); only float32, float16 and float64 are folded")
    }
    let parameter = Parameter(value: value, tensor: tensor, what: what)
    guard (try? tensor.validateSize()) != nil else { throw parameter.unreadable }
    return parameter
  }

  /// The elements as Double: for the small per-channel parameters.
  func values() throws(Declined) -> [Double] {
    guard let values = tensor.realValues() else { throw unreadable }
    return values
  }

  /// The tensor with each run of `runLength` elements multiplied by `factor(run)` in Double and
  /// rounded once to its type, streamed from the source bytes into the new tensor's. The
  /// source's mapped pages are let go chunk by chunk as they are read, so that a large weight is
  /// never resident whole next to its scaled copy; a later reader of the source faults them
  /// back in from the file.
  func scaled(runLength: Int, by factor: (Int) -> Double) throws(Declined) -> Tensor {
    let result = tensor.scaled(
      runLength: runLength, chunk: Self.chunkElements, factor: factor, afterChunk: tensor.dropResidentPages(elements:))
    guard let result else { throw unreadable }
    return result
  }

  /// Elements scaled between two releases of the source's pages: 1 Mi (4 MiB of float32).
  static let chunkElements = 1 << 20

  private var unreadable: Declined { Declined("\(what) '\(value.name)' cannot be read") }
}

/// Which output channel each element of a weight scales with: element i is in run
/// i / `length`, and run r belongs to channel `channel(r)`.
private struct ChannelRuns {
  let length: Int
  let channel: (Int) -> Int
}
