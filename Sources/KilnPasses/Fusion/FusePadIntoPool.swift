// fuse-pad-into-pool: a constant Pad on spatial axes before MaxPool or AveragePool becomes the pool's pads.

import KilnIR

/// Moves a constant padding into the MaxPool or AveragePool that reads it, where the pool's own
/// padding gives the same numbers:
///
///     MaxPool(Pad(x, pads, v)){pads=p}               →   MaxPool(x){pads=p + spatial pads}
///     AveragePool(Pad(x, pads, 0)){pads=p, cip}      →   AveragePool(x){pads=p + spatial pads, count_include_pad=1}
///
/// MaxPool ignores its padded positions, which equals padding with v when v is −∞, or when
/// v = 0 and x is known non-negative (it comes from Relu, Sigmoid, HardSigmoid, Softplus, Abs,
/// Exp or Softmax) — given that every window still holds a real element: dilations are 1 and
/// each total pad is below the kernel size. Otherwise (zero padding of a possibly negative x)
/// it does not fire. The Indices output must be unread.
///
/// AveragePool counts zero padding in its divisor only with count_include_pad = 1, so v must
/// be 0 and the pool must have no pads yet (count_include_pad is then set to 1; opset ≥ 7) or
/// already count_include_pad = 1. A pool with pads and count_include_pad = 0 is left alone.
///
/// Both need: a constant-mode Pad with constant pads (any opset form), non-negative and zero
/// on the batch and channel axes; `auto_pad` absent or NOTSET; `ceil_mode` 0 (partial windows
/// past the end are treated differently by runtimes); the Pad's output read only by the pool
/// and not a graph output. A skipped match gets a note with the reason.
public struct FusePadIntoPool: Pass {
  public static let name = "fuse-pad-into-pool"
  public static let summary = "Fold a constant Pad on spatial axes into a MaxPool's or AveragePool's pads where the numbers stay the same."

  public init(options: PassOptions) {}

  /// Ops whose outputs are never negative, so that zero padding cannot win a max.
  static let nonNegativeOps: Set<String> = ["Relu", "Sigmoid", "HardSigmoid", "Softplus", "Abs", "Exp", "Softmax"]

  static let rules: [RewriteRule] = ["MaxPool", "AveragePool"].map { pool in
    RewriteRule(.op(pool, "pool", inputs: [.op("Pad", "pad", where: [.singleUser])])) { match, graph, context in
      try fuse(match, graph, context)
    }
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    var rewrites = 0
    for rule in Self.rules { rewrites += try rule.apply(to: graph, context: context) }
    return rewrites > 0
  }

  static func fuse(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let pool = try match.node("pool")
    let pad = try match.node("pad")
    let attributes: [Attribute]
    do {
      attributes = try fusedAttributes(pool: pool, pad: pad, graph: graph, context: context)
    } catch {
      // Everything in the `do` throws only `Declined`.
      context.note("skipped: \(error.reason)", at: pool)
      return false
    }
    let fused = Node(
      name: pool.name, opType: pool.opType, domain: pool.domain, inputs: [pad.inputs[0]] + pool.inputs.dropFirst(),
      outputs: [pool.outputs.first ?? nil], attributes: attributes)
    graph.replace(pool, with: fused)
    graph.removeDeadNodes([pad])
    return true
  }

  /// The pool's attributes with the Pad merged in, or why that would change the numbers.
  static func fusedAttributes(pool: Node, pad: Node, graph: Graph, context: PassContext) throws(Declined) -> [Attribute] {
    guard pool.usesExplicitPads else { throw Declined("the pool's auto_pad is set") }
    guard pool.int("ceil_mode", default: 0) == 0 else { throw Declined("ceil_mode is set") }
    guard let kernel = pool.ints("kernel_shape") else { throw Declined("the pool has no kernel_shape") }
    let padding = try ConstantPad(
      pad, opset: context.opsetVersion(pad.domain) ?? 0, rank: kernel.count + 2, graph: graph)
    guard padding.padsOnlySpatialAxes else { throw Declined("the Pad pads the batch or channel axis, or crops") }
    guard let merged = padding.spatialPads(addedTo: pool.ints("pads")) else {
      throw Declined("the pool's pads do not match the Pad's rank")
    }
    var attributes = pool.attributes.setting("pads", to: .ints(merged))
    if pool.opType == "MaxPool" {
      try checkMaxPool(pool, pad: pad, padding: padding, merged: merged, kernel: kernel, graph: graph)
    } else {
      let hadPads = pool.ints("pads")?.contains { $0 != 0 } ?? false
      guard padding.value == 0 else { throw Declined("the Pad's value is \(padding.value), not 0") }
      if pool.int("count_include_pad", default: 0) != 1 {
        guard !hadPads else { throw Declined("the pool has pads of its own that count_include_pad = 0 leaves out") }
        guard (context.opsetVersion(pool.domain) ?? 0) >= 7 else {
          throw Declined("AveragePool before opset 7 has no count_include_pad")
        }
        attributes = attributes.setting("count_include_pad", to: .int(1))
      }
    }
    return attributes
  }

  /// Throws unless MaxPool's own padding gives what the Pad gave (see the type's comment).
  static func checkMaxPool(
    _ pool: Node, pad: Node, padding: ConstantPad, merged: [Int64], kernel: [Int64], graph: Graph
  ) throws(Declined) {
    let pinned = graph.pinnedValues()
    guard pool.extraOutputsUnread(in: graph, pinned: pinned) else { throw Declined("the Indices output is read") }
    guard (pool.ints("dilations") ?? []).allSatisfy({ $0 == 1 }) else { throw Declined("the pool is dilated") }
    let spatial = kernel.count
    for axis in 0..<spatial where merged[axis] >= kernel[axis] || merged[spatial + axis] >= kernel[axis] {
      throw Declined("a pad is as large as the kernel, so a window could hold only padding")
    }
    if padding.value == -.infinity { return }
    guard padding.value == 0 else { throw Declined("the Pad's value is \(padding.value), neither 0 nor -inf") }
    let source = pad.inputs.first??.producer
    guard let source, source.domain.isEmpty || source.domain == "ai.onnx", nonNegativeOps.contains(source.opType)
    else { throw Declined("zero padding: the input is not known to be non-negative") }
  }
}
