// eliminate-inverse-transposes: a Transpose undone by the next one goes, with it.

import KilnIR

/// Removes a Transpose whose reader is a Transpose with the inverse permutation:
///
///     Transpose(Transpose(x, perm=p), perm=q)  with p[q[i]] = i for every i   →   x
///
/// Always exact. Readers of the second Transpose read `x` instead; the first stays only if
/// something else reads it. Permutations are resolved as in `fuse-consecutive-transposes`
/// (missing `perm` means reversed axes, which needs a known rank).
///
/// When the second Transpose's output is a graph output, `x` takes over its name if `x` is an
/// intermediate value of the same graph; when `x` is a graph input, an initializer or an outer
/// value, nothing is removed (with a note), so graph outputs never change names.
public struct EliminateInverseTransposes: Pass {
  public static let name = "eliminate-inverse-transposes"
  public static let summary = "Remove a Transpose followed by its inverse Transpose."

  public init(options: PassOptions) {}

  static let rule = RewriteRule(FuseConsecutiveTransposes.pattern) { match, graph, context in
    let first = try match.node("first")
    let second = try match.node("second")
    let composed = FuseConsecutiveTransposes.composedPermutation(first: first, second: second, context: context)
    guard let composed, composed == Array(0..<Int64(composed.count)) else { return false }
    guard graph.bypass(second, with: try match.value("x")) else {
      context.note("kept: its output is a graph output that the Transpose's input cannot take over", at: second)
      return false
    }
    graph.removeDeadNodes([first])
    return true
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try Self.rule.apply(to: graph, context: context) > 0
  }
}
