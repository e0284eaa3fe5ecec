// What the LayerNorm, Gelu, HardSigmoid and HardSwish fusions share: scalar constants compared
// with a tolerance, Clip bounds, self-contained matches.

import Foundation
import KilnIR

/// Checks and helpers for fusions that replace a decomposed formula by one standard op.
enum TransformerFusion {
  /// Relative tolerance for constants of a formula (√2, 0.044715, 1/6): float32 rounding of
  /// the written constants is ~6e-8, so this admits every export while a different constant
  /// (1.5 for √2, 0.2 for 1/6) stays out.
  static let tolerance = 1e-5

  /// Whether `value` is within `tolerance` (relative) of `expected`.
  static func isClose(_ value: Double, _ expected: Double) -> Bool {
    value == expected || abs(value - expected) <= tolerance * abs(expected)
  }

  /// Whether the default domain's opset is at least `version`; notes at `node` when not.
  static func requireOpset(_ version: Int64, for op: String, _ context: PassContext, at node: Node) -> Bool {
    let imported = context.opsetVersion("") ?? 0
    if imported >= version { return true }
    context.note("skipped: \(op) needs opset \(version), the model imports \(imported)", at: node)
    return false
  }

  /// The single element of a float or double constant `value` that cannot widen `operand`
  /// by broadcasting: a rank-0 constant, or one whose rank is at most `operand`'s known rank.
  static func scalar(_ value: Value?, against operand: Value) -> Double? {
    guard let tensor = value?.constantTensor, tensor.elementCount == 1,
      let element = tensor.floatingPointValues()?.first
    else { return nil }
    if tensor.dims.isEmpty { return element }
    guard let rank = operand.tensorShape?.rank, rank >= tensor.dims.count else { return nil }
    return element
  }

  /// The bound value `name` as a scalar (see `scalar(_:against:)`), if it is close to `expected`.
  static func scalar(_ name: String, in match: Match, against x: Value, near expected: Double) -> Bool {
    guard let found = scalar(match.values[name], against: x) else { return false }
    return isClose(found, expected)
  }

  /// The bounds of a Clip: inputs 1 and 2 from opset 11, attributes `min`/`max` before; an
  /// absent bound is infinite. Nil when a bound is not a scalar constant.
  static func clipBounds(_ clip: Node, against x: Value, opset: Int64) -> (low: Double, high: Double)? {
    guard opset >= 11 else {
      return (Double(clip.float("min", default: -.infinity)), Double(clip.float("max", default: .infinity)))
    }
    func bound(_ index: Int, _ absent: Double) -> Double? {
      guard clip.inputs.count > index, let value = clip.inputs[index] else { return absent }
      return scalar(value, against: x)
    }
    guard let low = bound(1, -.infinity), let high = bound(2, .infinity) else { return nil }
    return (low, high)
  }

  /// Whether every node `match` bound, except `root`, has its outputs read only by bound nodes
  /// (and none is a graph output), so that removing the chain loses nothing. Notes at `root`
  /// when another reader shares an intermediate value.
  static func isSelfContained(_ match: Match, root: Node, in graph: Graph, _ context: PassContext) -> Bool {
    let bound = Set(match.nodes.values.map(ObjectIdentifier.init))
    let pinned = graph.pinnedValues()
    for node in match.nodes.values where node !== root {
      for case let value? in node.outputs {
        let shared = pinned.contains(ObjectIdentifier(value))
          || value.uses.contains { !bound.contains(ObjectIdentifier($0.node)) }
        if shared {
          context.note("skipped: intermediate '\(value.name)' has a reader outside the pattern", at: root)
          return false
        }
      }
    }
    return true
  }

  /// Puts `fused` in the place of `root` and removes the matched nodes, and the producers of
  /// the root's inputs (its Constant nodes), that nothing reads any more.
  static func replace(_ root: Node, with fused: Node, removing matched: [Node], in graph: Graph) {
    let feeders = root.inputs.compactMap { $0?.producer }
    fused.name = root.name
    graph.replace(root, with: fused)
    graph.removeDeadNodes(matched.filter { $0 !== root } + feeders)
  }

  /// A float32 tensor of `dims` holding `values`.
  static func floatTensor(_ values: [Float], dims: [Int64]) -> Tensor {
    Tensor(floats: values, dims: dims.map { Int($0) })
  }
}
