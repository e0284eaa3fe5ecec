// fuse-consecutive-transposes: two Transposes in a row become one.

import KilnIR

/// Replaces a Transpose of a Transpose by one Transpose of the first one's input:
///
///     Transpose(Transpose(x, perm=p), perm=q)   →   Transpose(x, perm=r),  r[i] = p[q[i]]
///
/// (output axis i of the second reads axis q[i] of the middle tensor, which is axis p[q[i]]
/// of x). Always exact: only the order of axes changes.
///
/// Fires whenever both permutations are known: given as `perm`, or the default (reversed axes)
/// with the rank known from the declared shape or the other permutation. When the first
/// Transpose has other readers it stays for them and the second reads `x` directly. Declines,
/// with a note, when a permutation is missing with unknown rank or is not a permutation of the
/// same rank, and when the composition is the identity: that is `eliminate-inverse-transposes`'
/// job, which removes both.
public struct FuseConsecutiveTransposes: Pass {
  public static let name = "fuse-consecutive-transposes"
  public static let summary = "Fuse Transpose(Transpose(x)) into one Transpose with the composed permutation."

  public init(options: PassOptions) {}

  static let rule = RewriteRule(pattern) { match, graph, context in
    let first = try match.node("first")
    let second = try match.node("second")
    guard let composed = composedPermutation(first: first, second: second, context: context) else { return false }
    guard composed != Array(0..<Int64(composed.count)) else {
      context.note("skipped: the permutations cancel (left to eliminate-inverse-transposes)", at: second)
      return false
    }
    second.setInput(0, try match.value("x"))
    second.attributes = second.attributes.setting("perm", to: .ints(composed))
    graph.removeDeadNodes([first])
    return true
  }

  /// `Transpose(Transpose(x))`, the outer one bound to `second`.
  static let pattern = Pattern.op(
    "Transpose", "second", inputs: [.op("Transpose", "first", inputs: [.any("x")])])

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try Self.rule.apply(to: graph, context: context) > 0
  }

  /// The permutation of `second ∘ first` as one Transpose of `first`'s input; nil, after a
  /// note, when a permutation is unknown or the two do not fit together.
  static func composedPermutation(first: Node, second: Node, context: PassContext) -> [Int64]? {
    let explicitFirst = first.ints("perm")
    let explicitSecond = second.ints("perm")
    let rank = explicitFirst?.count ?? explicitSecond?.count ?? LayoutFusion.rank(first.inputs.first ?? nil)
    guard let rank else {
      context.note("skipped: default permutations and the input's rank is unknown", at: second)
      return nil
    }
    let reversed = Array((0..<Int64(rank)).reversed())
    let p = explicitFirst ?? reversed
    let q = explicitSecond ?? reversed
    guard isPermutation(p, rank: rank), isPermutation(q, rank: rank) else {
      context.note("skipped: the permutations are not permutations of one rank", at: second)
      return nil
    }
    return q.map { p[Int($0)] }
  }

  private static func isPermutation(_ perm: [Int64], rank: Int) -> Bool {
    perm.count == rank && Set(perm) == Set(0..<Int64(rank))
  }
}
