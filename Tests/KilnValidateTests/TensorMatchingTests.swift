// Matching a QDQ candidate's tensors with its float reference's, and ranking layers by the
// error they add.

import Foundation
import KilnIR
import KilnTestSupport
import Testing

@testable import KilnValidate

@Suite("per-layer tensor matching")
struct TensorMatchingTests {
  /// x → Relu → r → Relu → y.
  private func reference() -> Graph {
    let b = GraphBuilder()
    let x = b.input("x", "float32[4]")
    let r = b.op("Relu", x, output: "r", name: "relu1")
    b.output(b.op("Relu", r, output: "y", name: "relu2"))
    return b.graph
  }

  /// x → Q → DQ → x_dq → Relu → r → Q → DQ → r_dq → Relu → y, and a DequantizeLinear of
  /// constant weights that matches nothing.
  private func candidate() -> Graph {
    let b = GraphBuilder()
    let x = b.input("x", "float32[4]")
    let scale = b.constant("scale", [0.1])
    let xq = b.op("QuantizeLinear", x, scale, output: "x_q", name: "qx")
    let xdq = b.op("DequantizeLinear", xq, scale, output: "x_dq", name: "dqx")
    let r = b.op("Relu", xdq, output: "r", name: "relu1")
    let rq = b.op("QuantizeLinear", r, scale, output: "r_q", name: "qr")
    let rdq = b.op("DequantizeLinear", rq, scale, output: "r_dq", name: "dqr")
    let weights = b.initializer(Tensor(name: "w_q", dataType: .int8, dims: [1], bytes: Data([3])))
    b.op("DequantizeLinear", weights, scale, output: "w_dq", name: "dqw")
    b.output(b.op("Relu", rdq, output: "y", name: "relu2"))
    return b.graph
  }

  @Test("names match directly; a DequantizeLinear output maps back to what its QuantizeLinear read")
  func qdqMapping() {
    let matches = TensorMatching.matches(reference: reference(), candidate: candidate())
    #expect(
      matches == [
        TensorMatch(tensor: "x_dq", referenceTensor: "x", node: "dqx", opType: "DequantizeLinear", inputs: []),
        TensorMatch(tensor: "r", referenceTensor: "r", node: "relu1", opType: "Relu", inputs: ["x_dq"]),
        TensorMatch(tensor: "r_dq", referenceTensor: "r", node: "dqr", opType: "DequantizeLinear", inputs: ["r"]),
        TensorMatch(tensor: "y", referenceTensor: "y", node: "relu2", opType: "Relu", inputs: ["r_dq"]),
      ])
  }

  @Test("layers rank by the relative error they add to their inputs', worst first")
  func ranking() {
    let matches = TensorMatching.matches(reference: reference(), candidate: candidate())
    var accumulator = LayerMetricsAccumulator(matches: matches)
    // Relative errors: x_dq 0, r 0.5 (added 0.5), r_dq 0.6 (added 0.1), y 0.6 (added 0).
    accumulator.add(0, reference: [1, 2], candidate: [1, 2])
    accumulator.add(1, reference: [3, 4], candidate: [3, 1.5])
    accumulator.add(2, reference: [3, 4], candidate: [3, 1])
    accumulator.add(3, reference: [3, 4], candidate: [3, 1])
    let layers = accumulator.layers
    #expect(layers.map(\.tensor) == ["r", "r_dq", "y", "x_dq"])
    #expect(abs(layers[0].relativeError - 0.5) < 1e-12 && abs(layers[0].addedError - 0.5) < 1e-12)
    #expect(abs(layers[1].addedError - 0.1) < 1e-12)
    #expect(layers[2].addedError == 0 && layers[3].relativeError == 0)
  }
}
