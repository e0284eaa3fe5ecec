// fp16 conversion: float32 weights and compute to float16, with float32 kept where it must be.

import KilnIR
import KilnPasses

/// Converts a model's float32 weights and computation to float16.
///
/// Every node of the default domain whose op is not blocklisted computes in float16: its
/// float32 outputs become float16, a `Cast` to float32 becomes a Cast to float16, and
/// float32 `Constant` and `ConstantOfShape` values become float16. Blocklisted ops, ops of
/// other domains, and inputs whose schema takes only float32 (Resize's scales) stay float32,
/// with one Cast per tensor and direction inserted where float16 and float32 meet. Graph
/// inputs and outputs become float16, or stay float32 with `keepIOTypes`. Weights above
/// 65504 in magnitude are clipped and reported, tiny ones flushed to 0 and counted.
///
/// The converter reads element types from the values, so the model's values must be typed
/// (run `infer-shapes` first); a float value whose type it needs and cannot know is an error.
/// Models with subgraphs (If, Loop, Scan) are refused.
public struct Float16Converter: Sendable {
  public var options: Float16ConversionOptions

  public init(options: Float16ConversionOptions = .init()) {
    self.options = options
  }

  /// Converts `model` in place and reports what it did. Throws before changing anything when
  /// the model holds subgraphs or an element type it needs is unknown.
  public func convert(_ model: Model) throws -> Float16ConversionReport {
    let graph = model.graph
    if let node = graph.nodes.first(where: { !$0.subgraphs.isEmpty }) {
      throw KilnError.badInput(
        "fp16 conversion does not handle subgraphs (If, Loop, Scan bodies)", node: node.name, op: node.opType)
    }
    let plan = try Float16Plan(graph: graph, options: options, opset: model.opsetVersion("") ?? 0)
    var report = Float16ConversionReport()
    report.weightBytesBefore = initializerBytes(graph)
    report.convertedNodes = plan.converted.count
    report.keptNodes = plan.kept
    try Float16Rewriter(graph: graph, plan: plan).apply(&report)
    report.weightBytesAfter = initializerBytes(graph)
    return report
  }

  private func initializerBytes(_ graph: Graph) -> Int64 {
    graph.initializers.reduce(0) { $0 + ($1.constant?.byteCount ?? 0) }
  }
}

/// Which nodes compute in float16 and which float32 values become float16.
struct Float16Plan {
  let opset: Int64
  let keepIOTypes: Bool
  /// Nodes that compute in float16.
  let converted: Set<ObjectIdentifier>
  let kept: [Float16ConversionReport.KeptNode]
  /// float32 values that become float16.
  let half: Set<ObjectIdentifier>

  init(graph: Graph, options: Float16ConversionOptions, opset: Int64) throws {
    self.opset = opset
    keepIOTypes = options.keepIOTypes
    var converted = Set<ObjectIdentifier>()
    var kept: [Float16ConversionReport.KeptNode] = []
    for node in graph.nodes {
      if !(node.domain.isEmpty || node.domain == "ai.onnx") {
        kept.append(.init(name: node.name, opType: node.qualifiedOpType, reason: "not an op of the default domain"))
      } else if options.blocklist.contains(node.opType) {
        kept.append(.init(name: node.name, opType: node.opType, reason: "in the blocklist"))
      } else {
        converted.insert(ObjectIdentifier(node))
      }
    }
    self.converted = converted
    self.kept = kept
    var half = Set<ObjectIdentifier>()
    if !options.keepIOTypes {
      for value in graph.inputs where value.constant == nil && value.elementType == .float { half.insert(ObjectIdentifier(value)) }
    }
    for node in graph.nodes where converted.contains(ObjectIdentifier(node)) {
      for case let output? in node.outputs {
        guard let type = output.elementType else {
          throw KilnError.badInput(
            "the element type of '\(output.name)' is unknown", node: node.name, op: node.opType,
            hint: "fp16 conversion needs typed values: run infer-shapes first")
        }
        if type == .float { half.insert(ObjectIdentifier(output)) }
      }
      for case let input? in node.inputs where input.elementType == nil && input.constant == nil {
        throw KilnError.badInput(
          "the element type of '\(input.name)' is unknown", node: node.name, op: node.opType,
          hint: "fp16 conversion needs typed values: run infer-shapes first")
      }
    }
    let outputs = Set(graph.outputs.map(ObjectIdentifier.init))
    let inputs = Set(graph.inputs.map(ObjectIdentifier.init))
    for value in graph.initializers where value.constant?.dataType == .float {
      let id = ObjectIdentifier(value)
      guard !outputs.contains(id), !inputs.contains(id) else { continue }
      let readers = value.uses
      if readers.contains(where: { Self.wantsHalf($0.node, input: $0.index, converted: converted, opset: opset) }) {
        half.insert(id)
      }
    }
    self.half = half
  }

  /// Whether input `index` of `node` reads float16 after conversion.
  static func wantsHalf(_ node: Node, input index: Int, converted: Set<ObjectIdentifier>, opset: Int64) -> Bool {
    converted.contains(ObjectIdentifier(node)) && !Float32OnlyInputs.contains(node.opType, input: index, opset: opset)
  }

  func wantsHalf(_ node: Node, input index: Int) -> Bool {
    Self.wantsHalf(node, input: index, converted: converted, opset: opset)
  }
  func isHalf(_ value: Value) -> Bool { half.contains(ObjectIdentifier(value)) }
  func isConverted(_ node: Node) -> Bool { converted.contains(ObjectIdentifier(node)) }
}
