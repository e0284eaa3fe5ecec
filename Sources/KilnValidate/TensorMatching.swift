// Which intermediate tensors of a candidate model (fp16 or int8 QDQ) stand for which tensors of
// its reference, for the per-layer diagnosis.

import KilnIR

/// One candidate tensor to compare with one reference tensor, and the candidate node (the
/// layer) that produced it.
public struct TensorMatch: Sendable, Equatable {
  /// The candidate tensor's name.
  public var tensor: String
  /// The reference tensor it is compared with.
  public var referenceTensor: String
  /// The producing node's name and op type in the candidate.
  public var node: String
  public var opType: String
  /// The matched candidate tensors this one is computed from: the producer's inputs, looking
  /// through producers whose outputs are not matched (a QuantizeLinear, a Cast).
  public var inputs: [String]

  public init(tensor: String, referenceTensor: String, node: String, opType: String, inputs: [String]) {
    self.tensor = tensor
    self.referenceTensor = referenceTensor
    self.node = node
    self.opType = opType
    self.inputs = inputs
  }
}

/// Matches a candidate's node outputs with its reference's tensors: by name (an fp16 model
/// keeps the names), and a DequantizeLinear output whose input a QuantizeLinear made from X
/// with X of the reference (X → QuantizeLinear → DequantizeLinear → X_dq). Main graphs only.
public enum TensorMatching {
  /// The matches in the candidate's node order.
  public static func matches(reference: Graph, candidate: Graph) -> [TensorMatch] {
    let produced = Set(reference.nodes.flatMap(\.outputs).compactMap { $0?.name })
    let observed = produced.union(reference.inputs.filter { !$0.isConstant }.map(\.name))
    var pairs: [(value: Value, reference: String, node: Node)] = []
    for node in candidate.nodes {
      for case let value? in node.outputs where !value.name.isEmpty {
        if produced.contains(value.name) {
          pairs.append((value, value.name, node))
        } else if let source = quantizedSource(of: node), observed.contains(source) {
          pairs.append((value, source, node))
        }
      }
    }
    var upstream = Upstream(matched: Set(pairs.map(\.value.name)))
    return pairs.map { pair in
      TensorMatch(
        tensor: pair.value.name, referenceTensor: pair.reference, node: pair.node.name, opType: pair.node.opType,
        inputs: upstream.matchedInputs(of: pair.node))
    }
  }

  /// X's name when `node` is a DequantizeLinear reading a QuantizeLinear of the non-constant X.
  static func quantizedSource(of node: Node) -> String? {
    guard node.opType == "DequantizeLinear", node.domain.isEmpty || node.domain == "ai.onnx",
      let quantize = node.inputs.first??.producer, quantize.opType == "QuantizeLinear",
      let source = quantize.inputs.first ?? nil, !source.isConstant
    else { return nil }
    return source.name
  }
}

/// The matched tensors upstream of a node, remembered per value.
private struct Upstream {
  let matched: Set<String>
  private var known: [ObjectIdentifier: [String]] = [:]

  init(matched: Set<String>) { self.matched = matched }

  /// The matched tensors among `node`'s inputs, or upstream of the unmatched ones, in order, once each.
  mutating func matchedInputs(of node: Node) -> [String] {
    var seen = Set<String>()
    return node.inputs.compactMap { $0 }.flatMap { tensors(behind: $0) }.filter { seen.insert($0).inserted }
  }

  private mutating func tensors(behind value: Value) -> [String] {
    if matched.contains(value.name) { return [value.name] }
    if let cached = known[ObjectIdentifier(value)] { return cached }
    let result = value.producer.map { matchedInputs(of: $0) } ?? []
    known[ObjectIdentifier(value)] = result
    return result
  }
}
