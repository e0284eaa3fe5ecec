// Rewriting helpers every pass shares: constants, users, side effects, bypassing and replacing nodes.

import Foundation
import KilnIR

extension Value {
  /// The constant data of this value: an initializer's tensor, or the value of the `Constant`
  /// node that produces it (`value`, `value_float(s)`, `value_int(s)`); nil otherwise.
  public var constantTensor: Tensor? {
    if let constant { return constant }
    guard let node = producer, node.opType == "Constant", node.domain.isEmpty || node.domain == "ai.onnx",
      let attribute = node.attributes.first
    else { return nil }
    switch attribute.value {
    case .tensor(let tensor) where attribute.name == "value": return tensor
    case .float(let number) where attribute.name == "value_float":
      return Tensor(dataType: .float, dims: [], bytes: .littleEndian([number.bitPattern]))
    case .floats(let numbers) where attribute.name == "value_floats":
      return Tensor(dataType: .float, dims: [Int64(numbers.count)], bytes: .littleEndian(numbers.map(\.bitPattern)))
    case .int(let number) where attribute.name == "value_int":
      return Tensor(dataType: .int64, dims: [], bytes: .littleEndian([number]))
    case .ints(let numbers) where attribute.name == "value_ints":
      return Tensor(dataType: .int64, dims: [Int64(numbers.count)], bytes: .littleEndian(numbers))
    default: return nil
    }
  }

  /// Whether the value's data is known (see `constantTensor`).
  public var isKnownConstant: Bool { constantTensor != nil }

  /// The declared tensor shape, when the value is a tensor whose rank is known.
  public var tensorShape: Shape? { type?.tensor?.shape }

  /// The declared element type, when the value is a tensor.
  public var elementType: DataType? { type?.tensor?.dataType }
}

extension Tensor {
  /// The elements of an integer tensor (int64, int32, int16, int8, uint8) as `Int64`; nil for
  /// other types or unreadable data.
  public func integers() -> [Int64]? {
    guard let count = checkedElementCount, count <= 1 << 24 else { return nil }
    let widths: [DataType: Int] = [.int64: 8, .int32: 4, .int16: 2, .int8: 1, .uint8: 1]
    guard let width = widths[dataType] else { return nil }
    return try? withRawBytes { bytes -> [Int64]? in
      guard bytes.count >= Int(count) * width else { return nil }
      return (0..<Int(count)).map { index in
        let offset = index * width
        switch dataType {
        case .int64: return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
        case .int32: return Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        case .int16: return Int64(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        case .int8: return Int64(bytes.load(fromByteOffset: offset, as: Int8.self))
        default: return Int64(bytes[offset])
        }
      }
    } ?? nil
  }

  /// The elements of a float32 or float64 tensor as `Double`; nil for other types.
  public func floatingPointValues() -> [Double]? {
    guard let count = checkedElementCount, count <= 1 << 24 else { return nil }
    guard dataType == .float || dataType == .double else { return nil }
    return realValues()
  }
}

extension Node {
  /// Integer values of constant input `input` when the node has that input, else of attribute
  /// `attribute` (the pre-opset form of the same parameter); nil when neither is known.
  func integers(input: Int, attribute: String? = nil) -> [Int64]? {
    if inputs.count > input, let value = inputs[input] {
      return value.constantTensor?.integers()
    }
    return attribute.flatMap(ints)
  }

  /// Whether input `index` is present (not omitted).
  func hasInput(_ index: Int) -> Bool {
    inputs.count > index && inputs[index] != nil
  }

  /// Whether removing or merging this node could change more than its outputs. Ops of the
  /// default ONNX and ai.onnx.ml domains have none; an op from any other domain is assumed to
  /// have some (a custom op may write a file or a counter); a node holding a subgraph has them
  /// when a node inside does.
  public var hasSideEffects: Bool {
    let knownPure = ["", "ai.onnx", "ai.onnx.ml"]
    if !knownPure.contains(domain) { return true }
    return subgraphs.contains { $0.nodes.contains(where: \.hasSideEffects) }
  }

  /// Whether two runs on the same inputs may give different outputs (random ops), so that
  /// two such nodes must never be merged.
  public var isNondeterministic: Bool {
    let random: Set<String> = [
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
      "Bernoulli",
    ]
    if random.contains(opType) { return true }
    return subgraphs.contains { $0.nodes.contains(where: \.isNondeterministic) }
  }

  /// Whether this node is an op of the default ONNX domain named `opType`.
  public func isOnnx(_ opType: String) -> Bool {
    self.opType == opType && (domain.isEmpty || domain == "ai.onnx")
  }

  /// Detaches this node and every node of its subgraphs from their values, so values read by
  /// a removed subgraph (captured outer values) lose those uses at once.
  public func detachIncludingSubgraphs() {
    for graph in subgraphs {
      for node in graph.allNodes() { node.detach() }
    }
    detach()
  }

  /// The name used for this node in notes: its name, else its first output's.
  var displayName: String { name.isEmpty ? (outputs.first??.name ?? "") : name }
}

extension Graph {
  /// Every value that a graph output of this graph or of a graph nested in it refers to.
  /// These values are "pinned": they have readers that no use list shows, and main-graph
  /// outputs are known to users by name.
  public func pinnedValues() -> Set<ObjectIdentifier> {
    var pinned = Set(outputs.map(ObjectIdentifier.init))
    for graph in allGraphs().dropFirst() { pinned.formUnion(graph.outputs.map(ObjectIdentifier.init)) }
    return pinned
  }

  /// Whether nothing reads `value`: no node input (in this graph or a subgraph) and no graph
  /// output among `pinned` (see `pinnedValues()`).
  public func isUnread(_ value: Value, pinned: Set<ObjectIdentifier>) -> Bool {
    value.uses.isEmpty && !pinned.contains(ObjectIdentifier(value))
  }

  /// Removes `node`, whose output `output` carries the same data as `replacement`, making
  /// every reader of that output read `replacement`. Returns false, changing nothing, when it
  /// cannot be done safely:
  /// - another output of `node` is read;
  /// - the output is read as the output of a nested graph;
  /// - the output is an output of this graph and `replacement` cannot take over its name
  ///   (it is a graph input, an initializer, a value of an enclosing graph, or is itself a
  ///   graph output). When it can, `replacement` is renamed and retyped to the output's name
  ///   and declaration, so graph outputs keep their names.
  @discardableResult
  public func bypass(_ node: Node, output: Int = 0, with replacement: Value) -> Bool {
    guard node.outputs.indices.contains(output), let old = node.outputs[output], old !== replacement else {
      return false
    }
    let pinned = pinnedValues()
    for (index, value) in node.outputs.enumerated() where index != output {
      if let value, !isUnread(value, pinned: pinned) { return false }
    }
    let isOwnOutput = outputs.contains { $0 === old }
    let nestedOutputs = allGraphs().dropFirst().contains { $0.outputs.contains { $0 === old } }
    if nestedOutputs { return false }
    if isOwnOutput {
      guard let producer = replacement.producer, producer !== node, contains(producer),
        !pinned.contains(ObjectIdentifier(replacement))
      else { return false }
      replacement.name = old.name
      replacement.type = old.type ?? replacement.type
      replacement.docString = old.docString
      replacement.metadata = old.metadata
      replacement.origin = old.origin
      annotatedValues.removeAll { $0 === replacement || $0 === old }
    }
    replaceAllUses(of: old, with: replacement)
    remove(node)
    return true
  }

  /// Puts `replacement` in the place of `node`: it is inserted where `node` was, takes over
  /// `node`'s output values (so readers, graph outputs and names stay as they were) unless it
  /// already has outputs, and `node` is removed. Producers that only fed `node` are left for
  /// `removeDeadNodes`/`eliminate-dead-code`.
  public func replace(_ node: Node, with replacement: Node) {
    let taken = node.outputs
    node.outputs = []
    if replacement.outputs.isEmpty { replacement.outputs = taken }
    insert(replacement, before: node)
    remove(node)
  }

  /// After a rewrite stopped reading `values`: removes the initializers among them that
  /// nothing reads (and that are not graph inputs or outputs) and the dead nodes that
  /// produced the others (`Constant` parameters, the fused producer).
  func dropUnread(_ values: [Value?], nodes: [Node] = []) {
    removeDeadNodes(nodes + values.compactMap { $0?.producer })
    let pinned = pinnedValues()
    for case let value? in values where value.producer == nil && isUnread(value, pinned: pinned) {
      guard !inputs.contains(where: { $0 === value }),
        let index = initializers.firstIndex(where: { $0 === value })
      else { continue }
      initializers.remove(at: index)
    }
  }

  /// Removes each of `candidates` (and then its producers, transitively) whose outputs nobody
  /// reads and which has no side effects; returns how many nodes went.
  @discardableResult
  public func removeDeadNodes(_ candidates: [Node]) -> Int {
    let pinned = pinnedValues()
    var pending = candidates
    var removed = 0
    while let node = pending.popLast() {
      guard !node.hasSideEffects, contains(node),
        node.outputs.allSatisfy({ $0.map { isUnread($0, pinned: pinned) } ?? true })
      else { continue }
      let producers = node.valuesRead().compactMap(\.producer)
      remove(node)
      node.detachIncludingSubgraphs()
      removed += 1
      pending += producers
    }
    return removed
  }

  /// Drops value annotations (`value_info`) of values that nothing defines or reads any more,
  /// as rewrites leave them behind.
  func dropStaleAnnotations() {
    let defined = Set((inputs + initializers).map(ObjectIdentifier.init))
    annotatedValues.removeAll { value in
      value.producer == nil && value.uses.isEmpty && !defined.contains(ObjectIdentifier(value))
        && !outputs.contains { $0 === value }
    }
  }
}
