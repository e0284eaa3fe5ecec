// fuse-mul-add-into-conv: folds a per-channel constant Mul and/or Add after a Conv into its weights.

import KilnIR

/// Folds a per-output-channel affine step written as Mul and Add into the Conv before it:
///
///     Mul(Conv(x, W, b), m)   →   Conv(x, W', b')    W'[c] = m[c]·W[c]    b' = m·b
///     Add(Conv(x, W, b), a)   →   Conv(x, W, b')     b' = b + a
///
/// so that Conv → Mul → Add (and Conv → Add → Mul) becomes one Conv. Either operand order.
///
/// Fires only when: the Conv's output has the Mul/Add as its one reader and is not a graph
/// output; W (and b, if given) and the other operand are constants that are not graph inputs,
/// of float32, float16 or float64; the operand's shape leaves the Conv's output shape as it
/// is and varies at most along the channel axis: a scalar, [C,1,…,1] or [1,C,1,…,1] (any
/// all-ones shape of rank ≤ the output's, or C on the channel axis). New weights are new
/// initializers; shared ones are never changed. A skipped match gets a note with the reason.
public struct FuseMulAddIntoConv: Pass {
  public static let name = "fuse-mul-add-into-conv"
  public static let summary = "Fold a per-channel constant Mul and/or Add after a Conv into its weights and bias."

  public init(options: PassOptions) {}

  static let rules: [RewriteRule] = ["Mul", "Add"].map(rule)

  /// `op(Conv(…), constant)` in either order, with the Conv read only by `op`.
  static func rule(_ op: String) -> RewriteRule {
    let pattern = Pattern.op(
      op, "op", inputs: [.op("Conv", "conv", where: [.singleUser]), .constant("operand")], commutative: true)
    return RewriteRule(pattern) { match, graph, context in try fuse(match, graph, context) }
  }

  /// Rounds of Mul then Add, until a round changes nothing (Conv → Add → Mul takes two).
  static let maxRounds = 8

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    var total = 0
    for _ in 0..<Self.maxRounds {
      var rewrites = 0
      for rule in Self.rules { rewrites += try rule.apply(to: graph, context: context) }
      total += rewrites
      if rewrites == 0 { break }
    }
    return total > 0
  }

  static func fuse(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let op = try match.node("op")
    let conv = try match.node("conv")
    let operand = try match.value("operand")
    let replacement: Node
    do {
      let values = try channelValues(operand, of: conv, graph: graph)
      let affine =
        op.opType == "Mul"
        ? ChannelAffine(scale: values, shift: Array(repeating: 0, count: values.count))
        : ChannelAffine(scale: Array(repeating: 1, count: values.count), shift: values)
      replacement = try affine.fold(into: conv, graph: graph, context: context)
    } catch {
      // Everything in the `do` throws only `Declined`.
      context.note("skipped: \(error.reason)", at: op)
      return false
    }
    replacement.outputs = [op.outputs.first ?? nil]
    let replaced = op.inputs + conv.inputs
    graph.replace(op, with: replacement)
    graph.dropUnread(replaced, nodes: [conv])
    return true
  }

  /// The operand's value for each output channel of `conv`; throws when the operand would
  /// broadcast the output or vary along another axis.
  static func channelValues(_ operand: Value, of conv: Node, graph: Graph) throws(Declined) -> [Double] {
    guard let weight = conv.inputs.count > 1 ? conv.inputs[1]?.constantTensor : nil else {
      throw Declined("the Conv's weight is not a constant")
    }
    let rank = weight.dims.count
    let channels = weight.dims.first ?? 0
    let parameter = try Parameter.read(operand, in: graph, what: "the operand")
    let dims = parameter.tensor.dims
    guard dims.count <= rank else { throw Declined("the operand has a higher rank than the output") }
    for (position, size) in dims.enumerated() where size != 1 {
      let axis = rank - dims.count + position
      guard axis == 1, size == channels else {
        throw Declined("the operand of shape \(dims) is not per channel (the output has \(channels) channels)")
      }
    }
    let values = try parameter.values()
    return values.count == 1 ? Array(repeating: values[0], count: Int(channels)) : values
  }
}
