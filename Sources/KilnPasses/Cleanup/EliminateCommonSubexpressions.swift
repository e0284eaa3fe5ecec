// eliminate-common-subexpressions: merges nodes that compute the same thing.

import Foundation
import KilnIR

/// Merges a node into an earlier one with the same op, domain, overload, attributes and the
/// very same input values: readers of the later node's outputs read the earlier node's.
///
///     %a = Relu(%x)              %a = Relu(%x)
///     %b = Relu(%x)         →    %y = Add(%a, %a)
///     %y = Add(%a, %b)
///
/// Safe for deterministic ops without side effects. Never merges random ops (RandomNormal,
/// Bernoulli, ...), ops of unknown domains, nodes holding subgraphs, or nodes whose attributes
/// hold large (over 1 MiB) or external tensors. A later node whose output is a graph output
/// is kept, so output names stay. Merges cascade in one run: once two nodes are merged, their
/// readers may become equal too.
public struct EliminateCommonSubexpressions: Pass {
  public static let name = "eliminate-common-subexpressions"
  public static let summary = "Merge nodes with the same op, attributes and inputs (not random or custom ops)."

  /// Tensor attributes larger than this are not compared.
  static let maxComparedTensorBytes: Int64 = 1 << 20

  public init(options: PassOptions) {}

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    let pinned = graph.pinnedValues()
    var seen: [Key: Node] = [:]
    var merged = Set<ObjectIdentifier>()
    for node in graph.nodes {
      guard node.subgraphs.isEmpty, !node.isNondeterministic, !node.hasSideEffects, !node.outputs.isEmpty,
        let key = Self.key(node)
      else { continue }
      guard let earlier = seen[key] else {
        seen[key] = node
        continue
      }
      if node.outputs.contains(where: { $0.map { pinned.contains(ObjectIdentifier($0)) } ?? false }) {
        context.note("kept: same as '\(earlier.displayName)', but its output is a graph output", at: node)
        continue
      }
      for (old, new) in zip(node.outputs, earlier.outputs) {
        guard let old, let new else { continue }
        for use in old.uses { use.node.setInput(use.index, new) }
      }
      merged.insert(ObjectIdentifier(node))
    }
    guard !merged.isEmpty else { return false }
    graph.setNodes(graph.nodes.filter { !merged.contains(ObjectIdentifier($0)) })
    return true
  }

  /// What makes two nodes the same computation; nil when the node cannot be compared.
  struct Key: Hashable {
    var op: [String]
    var inputs: [ObjectIdentifier?]
    var outputs: [Bool]
    var attributes: [AnyHashable]
  }

  static func key(_ node: Node) -> Key? {
    var attributes: [AnyHashable] = []
    for attribute in node.attributes.sorted(by: { $0.name < $1.name }) {
      guard let value = attributeKey(attribute.value) else { return nil }
      attributes.append(AnyHashable([AnyHashable(attribute.name), value]))
    }
    let domain = node.domain == "ai.onnx" ? "" : node.domain
    return Key(
      op: [domain, node.opType, node.overload], inputs: node.inputs.map { $0.map(ObjectIdentifier.init) },
      outputs: node.outputs.map { $0 != nil }, attributes: attributes)
  }

  private static func attributeKey(_ value: AttributeValue) -> AnyHashable? {
    switch value {
    case .float(let number): return ["f", number.bitPattern] as [AnyHashable]
    case .int(let number): return ["i", number] as [AnyHashable]
    case .string(let bytes): return ["s", bytes] as [AnyHashable]
    case .floats(let numbers): return ["fs", numbers.map(\.bitPattern)] as [AnyHashable]
    case .ints(let numbers): return ["is", numbers] as [AnyHashable]
    case .strings(let items): return ["ss", items] as [AnyHashable]
    case .type(let type): return ["t", type] as [AnyHashable]
    case .types(let types): return ["ts", types] as [AnyHashable]
    case .tensor(let tensor): return tensorKey(tensor)
    case .tensors(let tensors):
      let keys = tensors.map(tensorKey)
      return keys.contains(where: { $0 == nil }) ? nil : ["T", keys.compactMap { $0 }] as [AnyHashable]
    case .graph, .graphs, .sparseTensor, .sparseTensors, .reference: return nil
    }
  }

  private static func tensorKey(_ tensor: Tensor) -> AnyHashable? {
    guard !tensor.isExternal, tensor.byteCount <= maxComparedTensorBytes else { return nil }
    let content: AnyHashable
    if case .strings(let items) = tensor.storage {
      content = items
    } else {
      guard let bytes = try? tensor.rawData() else { return nil }
      content = bytes
    }
    return ["tensor", tensor.dataType.rawValue, tensor.dims, content] as [AnyHashable]
  }
}
