// How one ONNX op becomes OpenVINO layers, and the table of every op the OpenVINO target takes.

import KilnIR

/// The translation of one ONNX op into OpenVINO layers, with the conditions in words.
///
/// `emit` adds the node's layers to a network or gives the reason it cannot; the target's check
/// runs the same function on the node alone, so what the check accepts is what the writer
/// writes.
struct OpenVINOMapping: Sendable {
  typealias Emit = @Sendable (Node, OpenVINONetwork) throws(TargetRefusal) -> Void

  var op: String
  var constraints: [String]
  var emit: Emit

  init(_ op: String, _ constraints: [String] = [], emit: @escaping Emit) {
    self.op = op
    self.constraints = constraints
    self.emit = emit
  }

  /// Every op the OpenVINO target takes, by op family.
  static let all: [OpenVINOMapping] =
    convolutionMappings + reductionMappings + denseMappings + elementwiseMappings + activationMappings + layoutMappings

  /// The mapping of `node`'s op, if OpenVINO takes it.
  static func mapping(for node: Node) -> OpenVINOMapping? {
    guard node.domain.isEmpty || node.domain == "ai.onnx" else { return nil }
    return byOp[node.opType]
  }

  private static let byOp = Dictionary(all.map { ($0.op, $0) }, uniquingKeysWith: { first, _ in first })

  /// The mapping as a row of the target's supported-op table.
  var supportedOp: SupportedOp {
    SupportedOp(op, constraints: constraints) { [self] node in OpenVINONetwork.refusal(of: node, by: self) }
  }

  /// A mapping to one layer of the same inputs and outputs, with fixed attributes.
  static func direct(
    _ op: String, _ type: String, opset: Int = 1, _ attributes: [OpenVINOAttribute] = [], constraints: [String] = []
  ) -> OpenVINOMapping {
    OpenVINOMapping(op, constraints) { node, network throws(TargetRefusal) in
      var inputs: [OpenVINOPort] = []
      for index in node.inputs.indices { inputs.append(try network.port(node.targetInput(index))) }
      try network.emit(node, type, opset: opset, attributes, inputs: inputs)
    }
  }
}
