// fuse-pad-into-conv: a constant zero Pad on spatial axes before a Conv becomes the Conv's pads.

import KilnIR

/// Moves a zero padding into the Conv that reads it:
///
///     Conv(Pad(x, pads, 0), W, b){pads=p}   →   Conv(x, W, b){pads=p + spatial pads}
///
/// Conv pads with zeros, so the result is the same. Fires only when: the Pad is constant mode
/// with value 0; its pads (and, from opset 18, axes) are constants, non-negative (a negative
/// pad crops, which Conv cannot), and zero on the batch and channel axes; the Conv's
/// `auto_pad` is absent or NOTSET; the Pad's output has the Conv as its one reader (as its
/// data input) and is not a graph output. Every Pad form (opset 1–10 attributes, 11+ inputs,
/// 18+ axes) is read. A skipped match gets a note with the reason.
public struct FusePadIntoConv: Pass {
  public static let name = "fuse-pad-into-conv"
  public static let summary = "Fold a constant zero Pad on spatial axes into the pads of the Conv that reads it."

  public init(options: PassOptions) {}

  /// Conv(Pad(…), …) with the Pad read only by the Conv.
  static let rule = RewriteRule(
    .op("Conv", "conv", inputs: [.op("Pad", "pad", where: [.singleUser])])
  ) { match, graph, context in try fuse(match, graph, context) }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try Self.rule.apply(to: graph, context: context) > 0
  }

  static func fuse(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let conv = try match.node("conv")
    let pad = try match.node("pad")
    let pads: [Int64]
    do {
      pads = try mergedPads(conv: conv, pad: pad, graph: graph, opset: context.opsetVersion(pad.domain) ?? 0)
    } catch {
      // Everything in the `do` throws only `Declined`.
      context.note("skipped: \(error.reason)", at: conv)
      return false
    }
    let fused = Node(
      name: conv.name, opType: conv.opType, domain: conv.domain, inputs: [pad.inputs[0]] + conv.inputs.dropFirst(),
      attributes: conv.attributes.setting("pads", to: .ints(pads)))
    graph.replace(conv, with: fused)
    graph.removeDeadNodes([pad])
    return true
  }

  /// The Conv's pads with the Pad's added, or why they cannot be merged.
  static func mergedPads(conv: Node, pad: Node, graph: Graph, opset: Int64) throws(Declined) -> [Int64] {
    guard conv.usesExplicitPads else { throw Declined("the Conv's auto_pad is set") }
    // The rank is needed only when the Pad names axes; the weight has the input's rank.
    let weight = conv.inputs.dropFirst().first ?? nil
    let rank = pad.inputs.first??.tensorShape?.rank ?? weight?.tensorShape?.rank ?? weight?.constantTensor?.dims.count
    let padding = try ConstantPad(pad, opset: opset, rank: rank, graph: graph)
    guard padding.value == 0 else { throw Declined("the Pad's value is \(padding.value), not 0") }
    guard padding.padsOnlySpatialAxes else { throw Declined("the Pad pads the batch or channel axis, or crops") }
    guard let merged = padding.spatialPads(addedTo: conv.ints("pads")) else {
      throw Declined("the Conv's pads do not match the Pad's rank")
    }
    return merged
  }
}
