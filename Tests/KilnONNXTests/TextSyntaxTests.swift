// Models written in ONNX's text syntax (through libonnx's parser) round-trip through the IR.

import Foundation
import KilnIR
import KilnONNX
import Testing

@Suite("ONNX text syntax")
struct TextSyntaxTests {
  static let text = """
    <ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
    agraph (float[N, 4] X, float[4, 2] W) => (float[N, 2] Y) {
      H = MatMul(X, W)
      C = com.example.Custom <alpha = 0.5, names = ["a", "b"]> (H)
      Y = Relu(C)
    }
    """

  @Test("a text model imports with its ops, domains and attributes")
  func imports() throws {
    let model = try ONNXModelReader.read(bytes: LibONNX.parseText(Self.text))
    let graph = model.graph
    #expect(graph.nodes.map(\.opType) == ["MatMul", "Custom", "Relu"])
    #expect(graph.nodes[1].domain == "com.example")
    #expect(graph.nodes[1].float("alpha", default: 0) == 0.5)
    #expect(graph.inputs[0].type == .tensor(.float, Shape([.symbolic("N"), .fixed(4)])))
    try Verifier.verify(model)
  }

  @Test("import then export gives the parser's bytes back, and libonnx prints it the same")
  func roundTrip() throws {
    let bytes = try LibONNX.parseText(Self.text)
    let exported = try ONNXModelWriter.serialize(ONNXModelReader.read(bytes: bytes))
    #expect(exported == bytes)
    #expect(try LibONNX.printText(modelBytes: exported) == LibONNX.printText(modelBytes: bytes))
    #expect(try LibONNX.check(modelBytes: exported).isEmpty)
  }
}
