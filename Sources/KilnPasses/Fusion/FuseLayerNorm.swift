// fuse-layer-norm: the decomposed layer normalization of PyTorch and TensorFlow exports becomes
// one LayerNormalization op (opset 17).

import KilnIR

/// Replaces the layer normalization that exporters write out op by op by `LayerNormalization`:
///
///     d = x − ReduceMean(x)                       (axes A, keepdims)
///     y = d / Sqrt(ReduceMean(d²) + ε)            (axes A; d² = Pow(d, 2) or d · d)
///     y · γ + β                                   (both optional)
///       →  LayerNormalization(x, γ', β', axis = −|A|, epsilon = ε)
///
/// Fires only when:
/// - the default opset is 17 or later (LayerNormalization's first version);
/// - x is float32 (the op computes its statistics in float32: a double model would lose
///   precision, a float16 one would change numbers beyond float rounding);
/// - both ReduceMeans keep dims and reduce the same trailing axes (attribute before opset 18,
///   a constant input from 18), and the normalized dims are static in some declared shape of
///   the chain;
/// - ε is a scalar constant and the exponent exactly 2;
/// - no intermediate (the mean, d, d², the variance, the standard deviation) is read outside
///   the chain or is a graph output.
/// γ and β are absorbed when they are constants that vary only over the normalized axes and
/// do not widen the result (γ' and β' then get exactly the normalized shape); otherwise the
/// Mul or Add stays and the normalization alone is fused, with γ' all ones. Without β, the
/// LayerNormalization takes no bias. The rewrite changes numbers only by float rounding.
public struct FuseLayerNorm: Pass {
  public static let name = "fuse-layer-norm"
  public static let summary = "Fuse ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div (· γ + β) into LayerNormalization (opset 17)."

  public init(options: PassOptions) {}

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try RewriteRule.applyAlternatives(Self.rules, to: graph, context: context) > 0
  }

  static let rules: [RewriteRule] = {
    let x = Pattern.any("x")
    let centered = Pattern.op("Sub", "centered", inputs: [x, .op("ReduceMean", "mean", inputs: [x])])
    let squares: [Pattern] = [
      .op("Pow", "square", inputs: [centered, .constant("two")]),
      .op("Mul", "square", inputs: [centered, centered]),
    ]
    return squares.map { square in
      let variance = Pattern.op("ReduceMean", "variance", inputs: [square])
      let shifted = Pattern.op("Add", "shifted", inputs: [variance, .constant("epsilon")], commutative: true)
      let normalized = Pattern.op("Div", "normalized", inputs: [centered, .op("Sqrt", "deviation", inputs: [shifted])])
      return RewriteRule(normalized, rewrite: rewrite)
    }
  }()

  /// γ · n, then + β, each optional, after the normalization n.
  private static let scaling = Pattern.op("Mul", "scaling", inputs: [.any("normalized"), .constant("gamma")], commutative: true)
  private static let shifting = Pattern.op("Add", "shifting", inputs: [.any("normalized"), .constant("beta")], commutative: true)

  private static func rewrite(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let division = try match.node("normalized")
    let x = try match.value("x")
    guard try match.constant("epsilon").dataType == .float,
      let epsilon = TransformerFusion.scalar(try match.value("epsilon"), against: x)
    else {
      context.note("skipped: epsilon is not a float32 scalar (only float32 layer norms are fused)", at: division)
      return false
    }
    guard let geometry = normalizedGeometry(match, context, at: division) else { return false }
    if let two = match.values["two"]?.constantTensor {
      let isTwo = two.elementCount == 1 && two.dims.count <= geometry.rank
        && (two.floatingPointValues() == [2] || two.integers() == [2])
      guard isTwo else {
        context.note("skipped: the exponent is not a scalar 2", at: division)
        return false
      }
    }
    guard TransformerFusion.requireOpset(17, for: "LayerNormalization", context, at: division),
      TransformerFusion.isSelfContained(match, root: division, in: graph, context)
    else { return false }

    var root = division, removed = Array(match.nodes.values)
    let (gamma, scaleNode) = affine(Self.scaling, after: division, geometry, graph, context)
    if let scaleNode { (root, removed) = (scaleNode, removed + [scaleNode]) }
    let (beta, shiftNode) = affine(Self.shifting, after: root, geometry, graph, context)
    if let shiftNode { (root, removed) = (shiftNode, removed + [shiftNode]) }

    let outputName = root.outputs.first??.name ?? "layer_norm"
    let scale = gamma ?? graph.addInitializer(
      TransformerFusion.floatTensor(.init(repeating: 1, count: geometry.size), dims: geometry.dims),
      unusedNameFrom: outputName + "_scale", context)
    let layerNorm = Node(
      opType: "LayerNormalization", inputs: [x, scale] + (beta.map { [$0] } ?? []),
      attributes: [Attribute("axis", .int(-Int64(geometry.dims.count))), Attribute("epsilon", .float(Float(epsilon)))])
    TransformerFusion.replace(root, with: layerNorm, removing: removed, in: graph)
    return true
  }

  /// The normalized axes' sizes and the rank of x.
  struct Geometry {
    var dims: [Int64]
    var rank: Int
    var size: Int { Int(dims.reduce(1, *)) }
  }

  /// Checks the two ReduceMeans and finds the static normalized dims; notes why when it cannot.
  private static func normalizedGeometry(_ match: Match, _ context: PassContext, at division: Node) -> Geometry? {
    let opset = context.opsetVersion("") ?? 0
    // Every value of the chain up to the division has x's shape; any declared one will do.
    let shaped = [match.values["x"], match.nodes["centered"]?.outputs.first ?? nil, division.outputs.first ?? nil]
    guard let shape = shaped.compactMap({ $0?.tensorShape }).first else {
      context.note("skipped: the rank of x is unknown (run shape inference first)", at: division)
      return nil
    }
    guard let mean = match.nodes["mean"], let variance = match.nodes["variance"],
      let axes = trailingAxes(mean, rank: shape.rank, opset: opset),
      trailingAxes(variance, rank: shape.rank, opset: opset) == axes
    else {
      context.note("skipped: the ReduceMeans do not both keep dims and reduce the same trailing axes", at: division)
      return nil
    }
    let dims = shape.dims.suffix(axes).compactMap(\.value)
    guard dims.count == axes, dims.allSatisfy({ $0 > 0 }) else {
      context.note("skipped: the normalized dims are not static", at: division)
      return nil
    }
    return Geometry(dims: dims, rank: shape.rank)
  }

  /// How many trailing axes `reduce` (a ReduceMean keeping dims) reduces, or nil when its axes
  /// are not constant, not trailing, or it drops the reduced dims.
  private static func trailingAxes(_ reduce: Node, rank: Int, opset: Int64) -> Int? {
    guard reduce.int("keepdims", default: 1) == 1 else { return nil }
    let axes: [Int64]?
    if opset >= 18 {
      axes = reduce.inputs.count > 1 ? reduce.inputs[1]?.constantTensor?.integers() : nil
    } else {
      axes = reduce.ints("axes")
    }
    guard let axes, !axes.isEmpty else { return nil }
    let normalized = Set(axes.map { $0 < 0 ? $0 + Int64(rank) : $0 })
    guard normalized.count == axes.count else { return nil }
    let trailing = Set((Int64(rank) - Int64(axes.count))..<Int64(rank))
    return normalized == trailing && normalized.allSatisfy({ $0 >= 0 }) ? axes.count : nil
  }

  /// The Mul(γ) or Add(β) that is `producer`'s only reader and can be absorbed, with the
  /// parameter reshaped to the normalized dims; (nil, nil) when there is none to absorb.
  private static func affine(
    _ pattern: Pattern, after producer: Node, _ geometry: Geometry, _ graph: Graph, _ context: PassContext
  ) -> (Value?, Node?) {
    guard let output = producer.outputs.first ?? nil, output.uses.count == 1,
      !graph.pinnedValues().contains(ObjectIdentifier(output)),
      let user = output.uses.first?.node,
      let match = pattern.match(user, in: graph).match, match.values["normalized"] === output,
      let parameter = (match.values["gamma"] ?? match.values["beta"])
    else { return (nil, nil) }
    guard let fitted = fit(parameter, to: geometry) else {
      context.note("kept: its constant varies over axes that are not normalized, or widens the result", at: user)
      return (nil, nil)
    }
    if fitted.dims == parameter.constantTensor?.dims { return (parameter, user) }
    let base = (user.outputs.first??.name ?? "layer_norm") + (user.opType == "Mul" ? "_scale" : "_bias")
    return (graph.addInitializer(fitted, unusedNameFrom: base, context), user)
  }

  /// `parameter`'s data with exactly the normalized dims, when it is a float32 constant that
  /// broadcasts to them and is 1 on every other axis of x (so it neither varies across rows nor
  /// widens the result); nil otherwise.
  static func fit(_ parameter: Value, to geometry: Geometry) -> Tensor? {
    guard let tensor = parameter.constantTensor, tensor.dataType == .float, tensor.dims.count <= geometry.rank,
      let values = tensor.floatingPointValues()
    else { return nil }
    let k = geometry.dims.count
    let padded = [Int64](repeating: 1, count: max(0, k - tensor.dims.count)) + tensor.dims
    let (outer, inner) = (padded.dropLast(k), Array(padded.suffix(k)))
    guard outer.allSatisfy({ $0 == 1 }),
      zip(inner, geometry.dims).allSatisfy({ $0 == $1 || $0 == 1 })
    else { return nil }
    if inner == geometry.dims {
      var reshaped = tensor
      reshaped.dims = geometry.dims
      return reshaped
    }
    // Broadcast the size-1 axes out to the normalized dims.
    var strides = [Int](repeating: 0, count: k), stride = 1
    for axis in (0..<k).reversed() {
      strides[axis] = inner[axis] == 1 ? 0 : stride
      stride *= Int(inner[axis])
    }
    var expanded = [Float](), index = [Int](repeating: 0, count: k)
    expanded.reserveCapacity(geometry.size)
    for _ in 0..<geometry.size {
      expanded.append(Float(values[zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }]))
      for axis in (0..<k).reversed() {
        index[axis] += 1
        if index[axis] < Int(geometry.dims[axis]) { break }
        index[axis] = 0
      }
    }
    return TransformerFusion.floatTensor(expanded, dims: geometry.dims)
  }
}
