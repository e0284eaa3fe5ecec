// fuse-matmul-add-to-gemm: MatMul of a 2-D input by a constant matrix, plus a constant bias, becomes Gemm.

import KilnIR

/// Fuses a matrix product and a bias into one Gemm:
///
///     Add(MatMul(A, B), C)   →   Gemm(A, B, C)      (alpha = beta = 1, no transposes)
///
/// Fires only when: A is known to be 2-D [M, K] (Gemm takes matrices only); B is a constant
/// [K, N] matrix; C is a constant whose shape Gemm broadcasts to [M, N] unidirectionally — a
/// scalar, [N], [1, N], [M, N], [M, 1] or [1, 1] (a dim equal to M only when M is static) — so
/// the Add did not broadcast beyond the product's shape; the MatMul's output has the Add as its
/// one reader and is not a graph output; the element type is float32, float16 or float64 (Gemm's
/// types in every opset); and the opset is 7 or later (Gemm broadcasts C from 7 on). Either
/// operand order of the Add. A skipped match gets a note with the reason.
public struct FuseMatMulAddToGemm: Pass {
  public static let name = "fuse-matmul-add-to-gemm"
  public static let summary = "Fuse MatMul of a 2-D input by a constant matrix plus a constant bias into Gemm."

  public init(options: PassOptions) {}

  /// Add(MatMul(A, constant B), constant C), the MatMul read only by the Add.
  static let rule = RewriteRule(
    .op(
      "Add", "add",
      inputs: [
        .op("MatMul", "matmul", inputs: [.any("a"), .constant("b")], where: [.singleUser]),
        .constant("c"),
      ], commutative: true)
  ) { match, graph, context in try fuse(match, graph, context) }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try Self.rule.apply(to: graph, context: context) > 0
  }

  static func fuse(_ match: Match, _ graph: Graph, _ context: PassContext) throws -> Bool {
    let add = try match.node("add")
    let matmul = try match.node("matmul")
    let (a, b, c) = (try match.value("a"), try match.value("b"), try match.value("c"))
    if let reason = refusal(a: a, b: b, c: c, graph: graph, opset: context.opsetVersion(add.domain) ?? 0) {
      context.note("skipped: \(reason)", at: add)
      return false
    }
    let gemm = Node(name: matmul.name, opType: "Gemm", domain: matmul.domain, inputs: [a, b, c], outputs: [add.outputs.first ?? nil])
    graph.replace(add, with: gemm)
    graph.removeDeadNodes([matmul])
    return true
  }

  /// Why Gemm(a, b, c) would not compute Add(MatMul(a, b), c), or nil when it would.
  static func refusal(a: Value, b: Value, c: Value, graph: Graph, opset: Int64) -> String? {
    guard opset >= 7 else { return "Gemm before opset 7 does not broadcast C" }
    guard let dimsA = a.tensorShape?.dims, dimsA.count == 2 else { return "A is not known to be 2-D" }
    guard graph.isFixedConstant(b), graph.isFixedConstant(c), let weight = b.constantTensor, let bias = c.constantTensor
    else { return "B or C is an overridable graph input" }
    guard fusibleFloatTypes.contains(weight.dataType), bias.dataType == weight.dataType else {
      return "the element type is \(weight.dataType.name); only float32, float16 and float64 are fused"
    }
    guard weight.dims.count == 2, let n = weight.dims.last else { return "B is not a matrix" }
    let m = dimsA[0].value
    guard bias.dims.count <= 2 else { return "C has rank \(bias.dims.count)" }
    let wanted = [m, n].suffix(bias.dims.count)
    for (size, target) in zip(bias.dims, wanted) where size != 1 && size != target {
      return "C of shape \(bias.dims) does not broadcast to [M, \(n)]" + (target == nil ? " (M is not static)" : "")
    }
    return nil
  }
}
