// How one ONNX op becomes an ncnn layer, and the table of every op the ncnn target takes.

import KilnIR

/// The translation of one ONNX op into an ncnn layer, with the conditions in words.
///
/// `layer` either builds the layer or gives the reason it cannot; the target's check runs the
/// same function, so what the check accepts is exactly what the writer can write.
struct NCNNMapping: Sendable {
  var op: String
  var constraints: [String]
  var layer: @Sendable (Node) throws(TargetRefusal) -> NCNNLayer

  init(_ op: String, _ constraints: [String], layer: @escaping @Sendable (Node) throws(TargetRefusal) -> NCNNLayer) {
    self.op = op
    self.constraints = constraints
    self.layer = layer
  }

  /// Every op the ncnn target takes, by op family.
  static let all: [NCNNMapping] =
    convolutionMappings + denseMappings + activationMappings + elementwiseMappings + layoutMappings

  /// The mapping of `node`'s op, if ncnn takes it.
  static func mapping(for node: Node) -> NCNNMapping? {
    guard node.domain.isEmpty || node.domain == "ai.onnx" else { return nil }
    return byOp[node.opType]
  }

  private static let byOp = Dictionary(all.map { ($0.op, $0) }, uniquingKeysWith: { first, _ in first })

  /// The mapping as a row of the target's supported-op table.
  var supportedOp: SupportedOp {
    SupportedOp(op, constraints: constraints) { [layer] node in
      do throws(TargetRefusal) {
        _ = try layer(node)
        return nil
      } catch {
        return error.reason
      }
    }
  }
}
