// Applies a Float16Plan: Casts where float16 and float32 meet, then float16 types and constants.

import KilnIR
import KilnPasses
import KilnRuntime

/// Rewrites one graph as its `Float16Plan` says. Casts come first, while every value still
/// has its float32 type; then the planned values and constants turn float16.
final class Float16Rewriter {
  private let graph: Graph
  private let plan: Float16Plan
  private var names: NameIndex
  private var casts: [CastKey: Value] = [:]
  /// The values that turn float16: the plan's, with kept graph outputs swapped for the
  /// values their Casts read.
  private var half: Set<ObjectIdentifier>

  private struct CastKey: Hashable {
    let value: ObjectIdentifier
    let toHalf: Bool
  }

  init(graph: Graph, plan: Float16Plan) {
    self.graph = graph
    self.plan = plan
    half = plan.half
    names = NameIndex(graph)
  }

  func apply(_ report: inout Float16ConversionReport) throws {
    castNodeInputs()
    castGraphOutputs()
    report.casts = casts.count
    try convertValues(&report)
    try convertNodeAttributes(&report)
  }

  /// Every float input whose type after conversion differs from what its reader computes in
  /// reads a Cast instead.
  private func castNodeInputs() {
    for node in graph.nodes {
      for (index, input) in node.inputs.enumerated() {
        guard let input, isFloat(input) else { continue }
        let wantsHalf = plan.wantsHalf(node, input: index)
        if plan.isHalf(input) != wantsHalf { node.setInput(index, cast(input, toHalf: wantsHalf, before: node)) }
      }
    }
  }

  /// With `keepIOTypes`, a float16 graph output is renamed and a Cast to float32 produces the
  /// output under its own name.
  private func castGraphOutputs() {
    guard plan.keepIOTypes else { return }
    for output in graph.outputs where plan.isHalf(output) {
      guard let producer = output.producer, let slot = producer.outputs.firstIndex(where: { $0 === output }) else { continue }
      let inner = Value(name: names.claim("\(output.name)_float16"), type: output.type)
      producer.outputs[slot] = inner
      half.remove(ObjectIdentifier(output))
      half.insert(ObjectIdentifier(inner))
      for use in output.uses { use.node.setInput(use.index, inner) }
      let key = CastKey(value: ObjectIdentifier(inner), toHalf: false)
      casts[key] = output
      graph.append(Node(name: "\(output.name)_Cast", opType: "Cast", inputs: [inner], outputs: [output], attributes: [to(half: false)]))
    }
  }

  /// Planned values get float16 types; planned float32 initializers float16 data.
  private func convertValues(_ report: inout Float16ConversionReport) throws {
    let values = graph.inputs + graph.initializers + graph.nodes.flatMap { $0.outputs.compactMap { $0 } }
    for value in values where half.contains(ObjectIdentifier(value)) {
      value.type = halfType(value.type)
      guard let tensor = value.constant else { continue }
      let (converted, change) = try Float16Values.convert(tensor)
      value.constant = converted
      report.convertedConstants += 1
      if let change { report.changedConstants.append(change) }
    }
  }

  /// Converted Casts to float32 cast to float16; converted Constant and ConstantOfShape nodes
  /// hold float16 values.
  private func convertNodeAttributes(_ report: inout Float16ConversionReport) throws {
    for node in graph.nodes where plan.isConverted(node) {
      switch node.opType {
      case "Cast" where node.int("to", default: 0) == Int64(DataType.float.rawValue):
        node.attributes = node.attributes.map { $0.name == "to" ? to(half: true) : $0 }
      case "Constant", "ConstantOfShape":
        guard let output = node.outputs.first ?? nil, plan.isHalf(output) else { continue }
        node.attributes = try node.attributes.map { attribute in
          try halfAttribute(attribute, name: output.name, &report)
        }
      default: continue
      }
    }
  }

  /// `attribute` with its float32 value as a float16 tensor (`value_float(s)` become `value`).
  private func halfAttribute(
    _ attribute: Attribute, name: String, _ report: inout Float16ConversionReport
  ) throws -> Attribute {
    let tensor: Tensor
    switch attribute.value {
    case .tensor(let value) where value.dataType == .float: tensor = value
    case .float(let number): tensor = try Tensor(HostTensor(scalar: number))
    case .floats(let numbers): tensor = try Tensor(HostTensor(shape: [numbers.count], values: numbers))
    default: return attribute
    }
    var named = tensor
    if named.name.isEmpty { named.name = name }
    let (converted, change) = try Float16Values.convert(named)
    report.convertedConstants += 1
    if let change { report.changedConstants.append(change) }
    return Attribute(attribute.name.hasPrefix("value") ? "value" : attribute.name, .tensor(converted))
  }

  /// A float32 value of the original graph (typed float32, or float32 data).
  private func isFloat(_ value: Value) -> Bool {
    value.elementType == .float || value.constant?.dataType == .float
  }

  /// `value` cast to float16 or float32, made before `node` the first time it is asked for.
  private func cast(_ value: Value, toHalf: Bool, before node: Node) -> Value {
    let key = CastKey(value: ObjectIdentifier(value), toHalf: toHalf)
    if let made = casts[key] { return made }
    let suffix = toHalf ? "float16" : "float32"
    let type: ValueType? = value.type.map { toHalf ? halfType($0) : $0 } ?? value.constant.map { .tensor(toHalf ? .float16 : .float, $0.shape) }
    let output = Value(name: names.claim("\(value.name)_\(suffix)"), type: type)
    graph.insert(
      Node(name: "\(value.name)_Cast_\(suffix)", opType: "Cast", inputs: [value], outputs: [output], attributes: [to(half: toHalf)]),
      before: node)
    casts[key] = output
    return output
  }

  private func to(half: Bool) -> Attribute {
    Attribute("to", .int(Int64((half ? DataType.float16 : DataType.float).rawValue)))
  }

  private func halfType(_ type: ValueType?) -> ValueType? {
    guard case .tensor(_, let shape)? = type else { return type }
    return .tensor(.float16, shape)
  }
}
