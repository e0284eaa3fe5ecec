// fuse-consecutive-reshapes: a Reshape of a Reshape reshapes the first one's input directly.

import KilnIR

/// Makes a Reshape of a Reshape read the first one's input:
///
///     Reshape(Reshape(x, s1), s2)   →   Reshape(x, s2')
///
/// A reshape keeps the elements in order and only changes the dims, so the result depends
/// only on the element order and the final dims. The final dims are those of `s2` except
/// where it refers to the middle tensor: a `0` entry (when `allowzero` is 0 or absent) copies
/// the middle tensor's dim, which `x` may not have at that position. A `-1` entry is inferred
/// from the element count, which `x` and the middle tensor share. So `s2'` is `s2` with each
/// referring `0` at position i
/// - kept, when `s1[i]` is also a copying `0` (the middle dim i is x's dim i, and the fused
///   Reshape copies x's dim i);
/// - replaced by the middle dim i when that is a known non-zero size (from the middle
///   value's declared shape, a positive `s1[i]`, or `s1` applied to x's static shape).
///
/// Fires when `s2` is constant (or not constant but `allowzero = 1`, where no entry refers to
/// the middle tensor), in both forms of the op (`shape` attribute before opset 5, input
/// after). Declines, with a note, when `s2` is not constant and may hold zeros, or a `0` in it
/// refers to a middle dim that is not statically known (a dynamic dim that `s1` did not copy
/// from `x` at the same position). The first Reshape stays if something else reads it.
public struct FuseConsecutiveReshapes: Pass {
  public static let name = "fuse-consecutive-reshapes"
  public static let summary = "Fuse Reshape(Reshape(x, s1), s2) into one Reshape of x."

  public init(options: PassOptions) {}

  static let rule = RewriteRule(
    .op("Reshape", "second", inputs: [.op("Reshape", "first", inputs: [.any("x")])])
  ) { match, graph, context in
    let first = try match.node("first")
    let second = try match.node("second")
    let x = try match.value("x")
    let opset = context.opsetVersion("") ?? 0
    let copiesZeros = second.int("allowzero", default: 0) == 0
    guard let shape = second.integers(input: 1, attribute: opset < 5 ? "shape" : nil) else {
      guard !copiesZeros else {
        context.note("skipped: the second shape is not constant and may copy dims of the middle tensor", at: second)
        return false
      }
      return fuse(second, reading: x, first: first, graph: graph)
    }
    guard copiesZeros, shape.contains(0) else {
      return fuse(second, reading: x, first: first, graph: graph)
    }
    guard let resolved = resolve(shape, first: first, x: x, opset: opset) else {
      context.note("skipped: a 0 in the second shape copies a dim of the middle tensor that is not known", at: second)
      return false
    }
    if resolved != shape {
      if opset < 5 {
        second.attributes = second.attributes.setting("shape", to: .ints(resolved))
      } else {
        let old = second.inputs[1]?.producer
        let base = (second.inputs[1]?.name ?? "shape") + "_fused"
        second.setInput(1, LayoutFusion.addConstant(resolved, named: base, before: second, in: graph, context))
        graph.removeDeadNodes(old.map { [$0] } ?? [])
      }
    }
    return fuse(second, reading: x, first: first, graph: graph)
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try Self.rule.apply(to: graph, context: context) > 0
  }

  private static func fuse(_ second: Node, reading x: Value, first: Node, graph: Graph) -> Bool {
    second.setInput(0, x)
    graph.removeDeadNodes([first])
    return true
  }

  /// `shape` (a target with copying zeros) with every 0 that cannot be copied from `x` at the
  /// same position replaced by the middle tensor's known dim; nil when one cannot be.
  private static func resolve(_ shape: [Int64], first: Node, x: Value, opset: Int64) -> [Int64]? {
    let middle = first.outputs.first??.tensorShape?.dims
    let firstShape = first.integers(input: 1, attribute: opset < 5 ? "shape" : nil)
    let firstCopies = first.int("allowzero", default: 0) == 0
    var result = shape
    for (index, size) in shape.enumerated() where size == 0 {
      let firstSize = firstShape.flatMap { $0.indices.contains(index) ? $0[index] : nil }
      if firstSize == 0 && firstCopies { continue }
      var known = middle.flatMap { $0.indices.contains(index) ? $0[index].value : nil }
      if known == nil, let firstSize {
        known = firstSize > 0 || (firstSize == 0 && !firstCopies) ? firstSize : nil
      }
      if known == nil, let sizes = inferredSizes(firstShape, copiesZeros: firstCopies, of: x), sizes.indices.contains(index) {
        known = sizes[index]
      }
      // A zero-sized dim cannot be written as a literal in a Reshape that copies zeros.
      guard let known, known > 0 else { return nil }
      result[index] = known
    }
    return result
  }

  /// The dims Reshape gives a tensor `x` of static shape with target `shape`; nil when x's
  /// shape is not static or the target does not fit it.
  private static func inferredSizes(_ shape: [Int64]?, copiesZeros: Bool, of x: Value) -> [Int64]? {
    guard let shape, let input = x.tensorShape?.staticSizes else { return nil }
    var sizes: [Int64] = []
    for (index, size) in shape.enumerated() {
      if size == 0 && copiesZeros {
        guard input.indices.contains(index) else { return nil }
        sizes.append(input[index])
      } else {
        sizes.append(size)
      }
    }
    guard let inferred = sizes.firstIndex(of: -1) else { return sizes }
    guard sizes.filter({ $0 == -1 }).count == 1, let total = product(input),
      let known = product(sizes.enumerated().filter { $0.offset != inferred }.map(\.element)),
      known > 0, total % known == 0
    else { return nil }
    sizes[inferred] = total / known
    return sizes
  }

  /// The product of non-negative `sizes`; nil when one is negative or it overflows.
  private static func product(_ sizes: [Int64]) -> Int64? {
    var result: Int64 = 1
    for size in sizes {
      guard size >= 0 else { return nil }
      let (next, overflow) = result.multipliedReportingOverflow(by: size)
      if overflow { return nil }
      result = next
    }
    return result
  }
}
