// fuse-squeeze-unsqueeze: Squeeze/Unsqueeze pairs that cancel go; runs of one merge.

import KilnIR

/// Simplifies chains of Squeeze and Unsqueeze:
///
///     Unsqueeze(Squeeze(x, axes=a), axes=a)   →   x     (the removed size-1 axes come back)
///     Squeeze(Unsqueeze(x, axes=a), axes=a)   →   x     (the inserted axes are removed again)
///     Unsqueeze(Unsqueeze(x, axes=a), axes=b) →   Unsqueeze(x, axes=c)
///     Squeeze(Squeeze(x, axes=a), axes=b)     →   Squeeze(x, axes=c)
///
/// In the cancelling pairs both axes lists refer to the same rank (the rank of x, or of the
/// middle tensor), so "the same axes" means the same set once negative axes are counted from
/// the end. In a merge, `c` holds the first op's axes and the second op's axes mapped back
/// through the first op (Unsqueeze: into the final rank; Squeeze: into x's rank), so the
/// fused op inserts or removes exactly the same size-1 axes. All four are exact: only size-1
/// axes are added or removed.
///
/// Axes are the `axes` attribute before opset 13 and the second input from 13 on; the fused
/// op writes them the same way. A Squeeze without axes removes every size-1 dim; it is used
/// only when its input's shape is fully static. Declines (with a note) when axes are not
/// constant, negative with an unknown rank, repeated or out of range, and when a pair does
/// not cancel exactly (different axes). A cancelling pair whose output is a graph output
/// that `x` cannot take over (a graph input, say) is kept. The first op stays if something
/// else reads it.
public struct FuseSqueezeUnsqueeze: Pass {
  public static let name = "fuse-squeeze-unsqueeze"
  public static let summary = "Remove Squeeze/Unsqueeze pairs that cancel; merge consecutive Squeezes or Unsqueezes."

  public init(options: PassOptions) {}

  static let rules = [
    RewriteRule(chain("Unsqueeze", of: "Squeeze"), rewrite: cancel),
    RewriteRule(chain("Squeeze", of: "Unsqueeze"), rewrite: cancel),
    RewriteRule(chain("Unsqueeze", of: "Unsqueeze"), rewrite: merge),
    RewriteRule(chain("Squeeze", of: "Squeeze"), rewrite: merge),
  ]

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    var rewrites = 0
    for rule in Self.rules { rewrites += try rule.apply(to: graph, context: context) }
    return rewrites > 0
  }

  private static func chain(_ outer: String, of inner: String) -> Pattern {
    .op(outer, "second", inputs: [.op(inner, "first", inputs: [.any("x")])])
  }

  /// Removes a pair that cancels: the same axes of the same rank are removed and re-inserted.
  @Sendable private static func cancel(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    guard let (first, second, x, firstAxes, secondAxes) = try pair(match, context) else { return false }
    // Squeeze then Unsqueeze: both in x's rank. Unsqueeze then Squeeze: both in the middle rank.
    let rank = first.opType == "Squeeze" ? LayoutFusion.rank(x) : middleRank(first, x: x, inserted: firstAxes.count)
    guard let a = distinct(firstAxes, rank: rank), let b = distinct(secondAxes, rank: rank) else {
      context.note("skipped: negative axes with unknown rank, or repeated or out-of-range axes", at: second)
      return false
    }
    guard Set(a) == Set(b) else {
      context.note("skipped: the axes differ, so the pair does not cancel", at: second)
      return false
    }
    let axesProducers = second.inputs.dropFirst().compactMap { $0?.producer }
    guard graph.bypass(second, with: x) else {
      context.note("kept: its output is a graph output that the input cannot take over", at: second)
      return false
    }
    graph.removeDeadNodes([first] + axesProducers)
    return true
  }

  /// Merges two Unsqueezes or two Squeezes into one with the combined axes.
  @Sendable private static func merge(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    guard let (first, second, x, firstAxes, secondAxes) = try pair(match, context) else { return false }
    let inserting = first.opType == "Unsqueeze"
    let xRank = LayoutFusion.rank(x)
    let middle = inserting ? middleRank(first, x: x, inserted: firstAxes.count) : xRank.map { $0 - firstAxes.count }
    let firstRank = inserting ? middle : xRank
    let secondRank = inserting ? middle.map { $0 + secondAxes.count } : middle
    guard let a = distinct(firstAxes, rank: firstRank), let b = distinct(secondAxes, rank: secondRank) else {
      context.note("skipped: negative axes with unknown rank, or repeated or out-of-range axes", at: second)
      return false
    }
    // Unsqueeze: positions of the final tensor that are not b are the middle's, in order.
    // Squeeze: positions of x that are not a are the middle's, in order.
    let combined = inserting ? mapped(b, keeping: a) : mapped(a, keeping: b)
    let oldAxes = second.inputs.dropFirst().compactMap { $0?.producer }
    second.setInput(0, x)
    if (context.opsetVersion("") ?? 0) < 13 {
      second.attributes = second.attributes.setting("axes", to: .ints(combined))
    } else {
      let base = (second.outputs.first??.name ?? second.opType) + "_axes"
      second.inputs = [x, LayoutFusion.addConstant(combined, named: base, before: second, in: graph, context)]
    }
    graph.removeDeadNodes([first] + oldAxes)
    return true
  }

  /// `outer` (positions in the larger tensor) together with the positions of the larger
  /// tensor that hold the entries `inner` of the smaller one, whose dims are the larger's
  /// dims outside `outer`, in order. Sorted.
  private static func mapped(_ outer: [Int64], keeping inner: [Int64]) -> [Int64] {
    let sortedOuter = outer.sorted()
    var result = Set(outer)
    for index in inner {
      // Each position of `outer` at or before it pushes it one further along.
      var position = index
      for taken in sortedOuter where taken <= position { position += 1 }
      result.insert(position)
    }
    return result.sorted()
  }

  /// The rank of an Unsqueeze's output: declared, or x's rank plus the inserted axes.
  private static func middleRank(_ unsqueeze: Node, x: Value, inserted: Int) -> Int? {
    LayoutFusion.rank(unsqueeze.outputs.first ?? nil) ?? LayoutFusion.rank(x).map { $0 + inserted }
  }

  /// `axes` counted from 0 in a tensor of rank `rank`; nil when one is negative with an
  /// unknown rank, out of range, or repeated.
  private static func distinct(_ axes: [Int64], rank: Int?) -> [Int64]? {
    guard let result = LayoutFusion.normalized(axes, rank: rank), Set(result).count == result.count else { return nil }
    return result
  }

  /// The matched nodes, their input and both axes lists; nil, with a note, when an axes list
  /// is not known.
  private static func pair(
    _ match: Match, _ context: PassContext
  ) throws -> (first: Node, second: Node, x: Value, firstAxes: [Int64], secondAxes: [Int64])? {
    let (first, second, x) = (try match.node("first"), try match.node("second"), try match.value("x"))
    let opset = context.opsetVersion("") ?? 0
    guard let firstAxes = axes(of: first, opset: opset), let secondAxes = axes(of: second, opset: opset) else {
      context.note("skipped: the axes are not constant (or a Squeeze without axes has no static input shape)", at: second)
      return nil
    }
    return (first, second, x, firstAxes, secondAxes)
  }

  /// The axes of a Squeeze or Unsqueeze: constant input 1 from opset 13, attribute before;
  /// for a Squeeze without axes, the size-1 dims of its input when its shape is static.
  private static func axes(of node: Node, opset: Int64) -> [Int64]? {
    if opset >= 13 ? node.hasInput(1) : node.attribute("axes") != nil {
      return node.integers(input: 1, attribute: opset < 13 ? "axes" : nil)
    }
    guard node.opType == "Squeeze", let sizes = (node.inputs.first ?? nil)?.tensorShape?.staticSizes else { return nil }
    return sizes.indices.filter { sizes[$0] == 1 }.map { Int64($0) }
  }
}
