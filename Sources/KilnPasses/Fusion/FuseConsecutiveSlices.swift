// fuse-consecutive-slices: a Slice of a Slice becomes one Slice of the first one's input.

import KilnIR

/// Fuses two Slices in a row into one (opset 10 and later, where starts, ends, axes and
/// steps are inputs):
///
///     Slice(Slice(x, s1, e1, a1, k1), s2, e2, a2, k2)   →   Slice(x, s, e, a, k)
///
/// Slicing different axes commutes, so an axis sliced by only one of the two keeps its
/// start, end and step. An axis sliced by both is fused only when both steps are 1 and x's
/// size `d` on that axis is static: with starts and ends counted from the end when negative
/// and clamped,
///
///     b1 = clamp(s1, 0, d)   n1 = max(0, clamp(e1, 0, d) − b1)     (first: [b1, b1+n1) of x)
///     b2 = clamp(s2, 0, n1)  n2 = max(0, clamp(e2, 0, n1) − b2)    (second: of the middle)
///     s = b1 + b2            e = s + n2
///
/// Exact: the same elements in the same order. Declines (with a note) below opset 10, when a
/// parameter is not constant, the lists' lengths differ, an axis repeats within one Slice, a
/// negative axis meets an unknown rank, or a shared axis steps by other than 1 or has no
/// static size. The first Slice stays if something else reads it.
public struct FuseConsecutiveSlices: Pass {
  public static let name = "fuse-consecutive-slices"
  public static let summary = "Fuse Slice(Slice(x)) into one Slice when the two compose exactly."

  public init(options: PassOptions) {}

  static let rule = RewriteRule(
    .op("Slice", "second", inputs: [.op("Slice", "first", inputs: [.any("x")])])
  ) { match, graph, context in
    let first = try match.node("first")
    let second = try match.node("second")
    let x = try match.value("x")
    guard (context.opsetVersion("") ?? 0) >= 10 else {
      context.note("skipped: before opset 10 Slice takes its parameters as attributes", at: second)
      return false
    }
    let dims = x.tensorShape?.dims
    guard let outer = ranges(of: first, rank: dims?.count), let inner = ranges(of: second, rank: dims?.count) else {
      context.note("skipped: a parameter is not constant, the lists differ in length, or an axis repeats or is out of range", at: second)
      return false
    }
    var fused = outer
    for range in inner {
      guard let index = fused.firstIndex(where: { $0.axis == range.axis }) else {
        fused.append(range)
        continue
      }
      let size = dims.flatMap { Int(range.axis) < $0.count ? $0[Int(range.axis)].value : nil }
      guard let size, fused[index].step == 1, range.step == 1 else {
        context.note("skipped: both Slices cut axis \(range.axis), which needs steps of 1 and a static size", at: second)
        return false
      }
      fused[index] = compose(fused[index], then: range, size: size)
    }
    let oldParameters = second.inputs.dropFirst().compactMap { $0?.producer }
    rewrite(second, reading: x, as: fused, graph: graph, context)
    graph.removeDeadNodes([first] + oldParameters)
    return true
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try Self.rule.apply(to: graph, context: context) > 0
  }

  /// What a Slice does to one axis.
  struct AxisRange: Equatable {
    var axis: Int64
    var start: Int64
    var end: Int64
    var step: Int64
  }

  /// The constant parameters of `slice`, one entry per sliced axis (axes from 0); nil when
  /// one is not constant, the lists differ in length, or an axis repeats or is out of range.
  static func ranges(of slice: Node, rank: Int?) -> [AxisRange]? {
    guard let starts = slice.integers(input: 1), let ends = slice.integers(input: 2),
      starts.count == ends.count
    else { return nil }
    var axes = Array(0..<Int64(starts.count))
    if slice.hasInput(3) {
      guard let given = slice.integers(input: 3), let normalized = LayoutFusion.normalized(given, rank: rank) else {
        return nil
      }
      axes = normalized
    }
    var steps = [Int64](repeating: 1, count: starts.count)
    if slice.hasInput(4) {
      guard let given = slice.integers(input: 4) else { return nil }
      steps = given
    }
    guard axes.count == starts.count, steps.count == starts.count, Set(axes).count == axes.count,
      !steps.contains(0)
    else { return nil }
    return starts.indices.map { AxisRange(axis: axes[$0], start: starts[$0], end: ends[$0], step: steps[$0]) }
  }

  /// The single step-1 range of an axis of size `size` that `second` cuts from what `first`
  /// cut (both step 1).
  static func compose(_ first: AxisRange, then second: AxisRange, size: Int64) -> AxisRange {
    func clamp(_ bound: Int64, _ length: Int64) -> Int64 {
      min(max(bound < 0 ? bound + length : bound, 0), length)
    }
    let firstStart = clamp(first.start, size)
    let firstLength = max(0, clamp(first.end, size) - firstStart)
    let secondStart = clamp(second.start, firstLength)
    let secondLength = max(0, clamp(second.end, firstLength) - secondStart)
    let start = firstStart + secondStart
    return AxisRange(axis: first.axis, start: start, end: start + secondLength, step: 1)
  }

  /// Makes `slice` read `x` with `ranges` as new constant parameters (steps only when one
  /// is not 1).
  private static func rewrite(
    _ slice: Node, reading x: Value, as ranges: [AxisRange], graph: Graph, _ context: PassContext
  ) {
    let base = slice.outputs.first??.name ?? "slice"
    func constant(_ suffix: String, _ values: [Int64]) -> Value {
      LayoutFusion.addConstant(values, named: "\(base)_\(suffix)", before: slice, in: graph, context)
    }
    var inputs: [Value?] = [
      x, constant("starts", ranges.map(\.start)), constant("ends", ranges.map(\.end)),
      constant("axes", ranges.map(\.axis)),
    ]
    if ranges.contains(where: { $0.step != 1 }) { inputs.append(constant("steps", ranges.map(\.step))) }
    slice.inputs = inputs
  }
}
