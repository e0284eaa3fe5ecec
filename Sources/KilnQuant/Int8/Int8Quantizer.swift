// int8 QDQ quantization: Q/DQ pairs on activations, int8 weights and int32 biases behind DQ.

import KilnIR
import KilnPasses

/// Quantizes a model's Conv, ConvTranspose, MatMul and Gemm nodes, and the inputs of its
/// residual Adds, to int8 in ONNX's QDQ form, from the activation ranges calibration measured.
///
/// - Weights (float32 initializers) become symmetric int8 [-127, 127] initializers followed
///   by DequantizeLinear, per output channel (Conv axis 0, ConvTranspose axis 1, Gemm axis 0
///   with transB else 1, MatMul the last axis; `axis` needs opset 13, so opsets 10 to 12 fall
///   back to per tensor and say so) or per tensor.
/// - A Conv, ConvTranspose or Gemm bias (1-D float32 initializer; Gemm only with beta 1)
///   becomes int32 with scale input scale × weight scale and zero point 0, behind
///   DequantizeLinear (unless `quantizeBias` is off); a bias that does not fit int32 stays
///   float and the report says why.
/// - The float activation input of each quantized node reads a QuantizeLinear →
///   DequantizeLinear pair (int8 or uint8, asymmetric or symmetric), one pair per tensor.
/// - Both inputs of an Add of two computed tensors get such a pair too (`QuantizableAdd`), so
///   that the convolutions feeding a residual connection run in int8 in onnxruntime and
///   TensorRT; an Add whose inputs have no range (statistics from before Kiln measured them)
///   stays float, and the report says so.
///
/// Other ops (Mul, Concat, pooling) are left in float: a QDQ pair on them only helps a backend
/// that fuses it, and placing it correctly depends on that backend. Nodes inside subgraphs stay
/// float too. The model must import opset 10 or later; every activation a quantized Conv,
/// ConvTranspose, MatMul or Gemm reads needs a range, else nothing is changed and the error
/// names them.
public struct Int8Quantizer: Sendable {
  public var options: Int8QuantizationOptions

  public init(options: Int8QuantizationOptions = .init()) {
    self.options = options
  }

  /// Quantizes `model` in place with `ranges` (by tensor name) and reports what it did.
  public func quantize(_ model: Model, ranges: [String: TensorRange]) throws -> Int8QuantizationReport {
    let opset = model.opsetVersion("") ?? 0
    guard opset >= 10 else {
      throw KilnError.badInput(
        "int8 QDQ quantization needs opset 10 or later (QuantizeLinear); the model imports opset \(opset)",
        hint: "convert the model to a newer opset first")
    }
    let perChannel = options.perChannel && opset >= 13
    var report = Int8QuantizationReport(perChannel: perChannel)
    if options.perChannel && !perChannel {
      report.notes.append("opset \(opset) has no per-axis DequantizeLinear (opset 13): weights are quantized per tensor")
    }
    let graph = model.graph
    report.weightBytesBefore = initializerBytes(graph)
    let (plans, outcomes) = examine(graph, perChannel: perChannel)
    let parameters = try activationParameters(plans, ranges: ranges)
    let rewriter = QDQRewriter(graph: graph, activationType: options.activationType)
    report.nodes = outcomes
    for (index, plan) in plans {
      switch plan {
      case .weighted(let node):
        report.nodes[index].reason = try rewrite(node, parameters[ObjectIdentifier(node.activation)]!, rewriter)
      case .add(let add):
        let refusal = try rewrite(add, parameters, rewriter)
        report.nodes[index].quantized = refusal == nil
        report.nodes[index].reason = refusal
      }
    }
    rewriter.removeUnusedFloatInitializers()
    if graph.nodes.contains(where: { !$0.subgraphs.isEmpty }) {
      report.notes.append("nodes inside subgraphs (If, Loop, Scan bodies) stay float32")
    }
    report.weightBytesAfter = initializerBytes(graph)
    return report
  }

  /// What quantizing one candidate node takes.
  private enum Plan {
    case weighted(QuantizableNode)
    case add(QuantizableAdd)

    var node: Node {
      switch self {
      case .weighted(let node): node.node
      case .add(let add): add.node
      }
    }

    /// The activations whose ranges it reads; those of an Add may be missing (it then stays float).
    var activations: (required: [Value], optional: [Value]) {
      switch self {
      case .weighted(let node): ([node.activation], [])
      case .add(let add): ([], add.inputs)
      }
    }
  }

  /// The nodes of `graph` that `quantize` would quantize, in node order (whatever their ranges).
  func candidates(of graph: Graph) -> [Node] { examine(graph, perChannel: false).plans.map(\.1.node) }

  /// The candidate nodes in node order: what each will be (quantized, or skipped and why),
  /// and the plans of those to quantize with their index among the outcomes.
  private func examine(
    _ graph: Graph, perChannel: Bool
  ) -> (plans: [(Int, Plan)], outcomes: [Int8QuantizationReport.NodeOutcome]) {
    let graphInputs = Set(graph.inputs.map(ObjectIdentifier.init))
    let constants = QuantizableNode.constantOutputs(of: graph)
    var plans: [(Int, Plan)] = []
    var outcomes: [Int8QuantizationReport.NodeOutcome] = []
    for node in graph.nodes {
      let result: Result<Plan, QuantizableNode.Refusal>
      if let weighted = QuantizableNode.examine(node, options: options, perChannel: perChannel, graphInputs: graphInputs) {
        result = weighted.map(Plan.weighted)
      } else if let add = QuantizableAdd.examine(node, options: options, constants: constants) {
        result = add.map(Plan.add)
      } else {
        continue
      }
      switch result {
      case .success(let plan):
        plans.append((outcomes.count, plan))
        outcomes.append(.init(name: node.name, opType: node.opType, quantized: true, reason: nil))
      case .failure(let refusal):
        outcomes.append(.init(name: node.name, opType: node.opType, quantized: false, reason: refusal.reason))
      }
    }
    return (plans, outcomes)
  }

  /// The quantization of every activation the plans read that has a range, by value; throws
  /// naming every tensor a weighted node reads without a range, and every non-finite range,
  /// before anything changes.
  private func activationParameters(
    _ plans: [(Int, Plan)], ranges: [String: TensorRange]
  ) throws -> [ObjectIdentifier: LinearQuantization] {
    var parameters: [ObjectIdentifier: LinearQuantization] = [:]
    var missing: [String] = []
    var unusable: [String] = []
    var seen = Set<ObjectIdentifier>()
    let required = plans.flatMap { $0.1.activations.required }, optional = plans.flatMap { $0.1.activations.optional }
    for (activation, isRequired) in required.map({ ($0, true) }) + optional.map({ ($0, false) })
    where seen.insert(ObjectIdentifier(activation)).inserted {
      guard let range = ranges[activation.name] else {
        if isRequired { missing.append(activation.name) }
        continue
      }
      guard range.min.isFinite, range.max.isFinite else {
        unusable.append("'\(activation.name)' [\(range.min), \(range.max)]")
        continue
      }
      parameters[ObjectIdentifier(activation)] = LinearQuantization.activation(
        range, type: options.activationType, symmetric: options.symmetricActivations)
    }
    if !missing.isEmpty {
      throw KilnError.badInput(
        "no range for tensor\(missing.count == 1 ? "" : "s") \(missing.map { "'\($0)'" }.joined(separator: ", "))",
        hint: "the ranges or stats must come from the same model after the same preparation pipeline; skip the nodes that read it to leave them float")
    }
    if !unusable.isEmpty {
      throw KilnError.badInput("ranges must be finite: \(unusable.joined(separator: ", "))")
    }
    return parameters
  }

  /// Rewires one node to dequantized activation, weight and bias; returns why its bias stayed
  /// float, if it did.
  private func rewrite(_ plan: QuantizableNode, _ input: LinearQuantization, _ rewriter: QDQRewriter) throws -> String? {
    let node = plan.node
    node.setInput(0, try rewriter.dequantizedActivation(plan.activation, input, before: node))
    let weight = try rewriter.dequantizedWeight(plan.weight, axis: plan.axis, before: node)
    node.setInput(1, weight.value)
    guard options.quantizeBias, let biasIndex = plan.biasIndex, let bias = node.inputs[biasIndex] else { return nil }
    if let reason = biasRefusal(node, bias, channels: weight.scales.count) { return reason }
    guard let quantized = try rewriter.dequantizedBias(bias, inputScale: input.scale, weightScales: weight.scales, before: node)
    else { return "bias stays float32: a value does not fit int32 at scale input × weight scale" }
    node.setInput(biasIndex, quantized)
    return nil
  }

  /// Rewires both inputs of a residual Add to their dequantized forms; returns why the Add
  /// stays float instead (an input without a range), changing nothing then.
  private func rewrite(
    _ add: QuantizableAdd, _ parameters: [ObjectIdentifier: LinearQuantization], _ rewriter: QDQRewriter
  ) throws -> String? {
    if let unranged = add.inputs.first(where: { parameters[ObjectIdentifier($0)] == nil }) {
      return "no range for '\(unranged.name)' (statistics from before Kiln measured the inputs of Adds): recalibrate to quantize it"
    }
    for (position, input) in add.inputs.enumerated() {
      add.node.setInput(position, try rewriter.dequantizedActivation(input, parameters[ObjectIdentifier(input)]!, before: add.node))
    }
    return nil
  }

  /// Why `bias` of `node` cannot become int32, or nil when it can.
  private func biasRefusal(_ node: Node, _ bias: Value, channels: Int) -> String? {
    guard let tensor = bias.constant, tensor.dataType == .float else { return "bias stays float32: it is not a float32 initializer" }
    guard tensor.dims.count == 1, tensor.dims[0] > 0, tensor.dims[0] % Int64(channels) == 0 else {
      return "bias stays float32: its shape \(tensor.dims) does not match the output channels"
    }
    if node.opType == "Gemm", node.float("beta", default: 1) != 1 { return "bias stays float32: Gemm's beta is not 1" }
    return nil
  }

  private func initializerBytes(_ graph: Graph) -> Int64 {
    graph.initializers.reduce(0) { $0 + ($1.constant?.byteCount ?? 0) }
  }
}
