// The TensorRT target: its check, the trtexec line, and TensorRT's int8 QDQ placement.

import Foundation
import KilnIR
import KilnQuant
import KilnTargets
import KilnTestSupport
import Testing

@Suite("TensorRT target")
struct TensorRTTargetTests {
  @Test("the check lists every unsupported node, a dynamic input and the opset at once")
  func checkListsEveryProblem() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 12]>
      g (float[N, 4, 8] x, float[1, 4, 8, 8] y) => (float[N, 4, 8] a, float[1, 4, 4, 4] b, float[N, 4, 8] c) {
        a = Hardmax(x)
        b = MaxPool<kernel_shape = [2, 2], strides = [2, 2]>(y)
        c = MaxPool<kernel_shape = [2], strides = [1]>(x)
      }
      """#)
    let lines = TargetCheck.problems(in: graph, for: TensorRTTarget()).map(\.line)
    #expect(lines.count == 4, "\(lines)")
    #expect(lines[0].contains("opset 12") && lines[0].contains("13 to 17"))
    #expect(lines[1].hasPrefix("input 'x' has dynamic shape [N,4,8]; fix it with --input-shape x=1x..."))
    #expect(lines[2] == "#0 (Hardmax): tensorrt has no such op")
    #expect(lines[3] == "#2 (MaxPool): 1-D pooling; only 2-D to 3-D")
  }

  @Test("a dynamic dim with a range passes; a range that leaves a static dim or misorders sizes does not")
  func inputShapeRanges() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[N, 3] x) => (float[N, 3] y) { y = Relu(x) }
      """#)
    let good = TargetOptions(inputShapeRanges: ["x": InputShapeRange(min: [1, 3], opt: [4, 3], max: [8, 3])])
    #expect(TargetCheck.problems(in: graph, for: TensorRTTarget(), options: good).isEmpty)
    let bad = TargetOptions(inputShapeRanges: [
      "x": InputShapeRange(min: [4, 1], opt: [2, 3], max: [8, 3]), "z": InputShapeRange(min: [1], opt: [1], max: [1]),
    ])
    let lines = TargetCheck.problems(in: graph, for: TensorRTTarget(), options: bad).map(\.line)
    #expect(
      lines == [
        "--input-shape gives a range to 'z', which is not a graph input",
        "input 'x' dim 0: the range 4..2..8 must hold 1 <= min <= opt <= max",
        "input 'x' dim 1 is fixed at 3; its range must be 3",
      ])
  }

  @Test("the trtexec line names the engine, the precision and the optimization profile")
  func trtexecLine() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[N, 3] x, float[2] s) => (float[N, 3] y) { y = Relu(x) }
      """#)
    try withTemporaryFolder { folder in
      let ranges = ["x": InputShapeRange(min: [1, 3], opt: [4, 3], max: [8, 3]), "s": .init(min: [2], opt: [2], max: [2])]
      let export = try TensorRTTarget().export(
        graph, to: folder.file("m.onnx"), options: TargetOptions(float16Weights: true, inputShapeRanges: ranges))
      #expect(export.files.map(\.path) == [folder.file("m.onnx")])
      let toolkit = try #require(export.toolkit)
      #expect(
        toolkit.command == "trtexec --onnx=\(folder.file("m.onnx")) --saveEngine=\(folder.file("m.engine")) --fp16 "
          + "--minShapes=s:2,x:1x3 --optShapes=s:2,x:4x3 --maxShapes=s:2,x:8x3")
      #expect(!toolkit.ran)
      #expect(try folder.contents() == ["m.onnx"])
    }
  }

  @Test("--build without trtexec on PATH writes the ONNX and says the engine was not built")
  func buildWithoutTrtexec() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 3] x) => (float[1, 3] y) { y = Relu(x) }
      """#)
    try withTemporaryFolder { folder in
      let target = TensorRTTarget()
      #expect(target.outputFiles(for: "a/m.onnx", options: .init(build: true)) == ["a/m.onnx", "a/m.engine"])
      let export = try target.export(graph, to: folder.file("m.onnx"), options: .init(build: true))
      let toolkit = try #require(export.toolkit)
      if toolkit.ran { return }  // a machine with TensorRT built the engine
      #expect(toolkit.note?.contains("trtexec is not on PATH") == true)
      #expect(toolkit.command.hasSuffix("--saveEngine=\(folder.file("m.engine"))"))
    }
  }

  @Test("golden int8: symmetric int8 QDQ on activations, int8 weights per channel, float bias")
  func int8Placement() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 1, 2, 2] x) => (float[1, 2, 2, 2] y) <float[2, 1, 1, 1] w = {63.5, -127}, float[2] b = {0.25, 1}> {
        c = Conv(x, w, b)
        y = Relu(c)
      }
      """#)
    // |x| <= 127 gives scale 1 and zero point 0; the weights' channels scale 0.5 and 1.
    let notes = try TensorRTTarget().prepare(graph, options: .init(int8Ranges: ["x": TensorRange(min: -127, max: 63.5)]))
    #expect(notes == ["int8: 1 nodes quantized (symmetric QDQ, weights per channel, biases float)"])
    let expected = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 1, 2, 2] x) => (float[1, 2, 2, 2] y)
      <float[2] b = {0.25, 1}, float x_scale = {1.0}, int8 x_zero_point = {0}, int8[2, 1, 1, 1] w_quantized = {127, -127},
       float[2] w_scale = {0.5, 1.0}, int8[2] w_zero_point = {0, 0}> {
        x_quantized = QuantizeLinear(x, x_scale, x_zero_point)
        x_dequantized = DequantizeLinear(x_quantized, x_scale, x_zero_point)
        w_dequantized = DequantizeLinear<axis = 0>(w_quantized, w_scale, w_zero_point)
        c = Conv(x_dequantized, w_dequantized, b)
        y = Relu(c)
      }
      """#)
    #expect(printed(graph) == printed(expected))
    #expect(TargetCheck.problems(in: graph, for: TensorRTTarget()).isEmpty)
  }

  @Test("QDQ that TensorRT cannot take: uint8 or a nonzero zero point, an int32 input")
  func refusedQDQ() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 2] x) => (float[1, 2] y, float[2] z)
      <float s = {0.5}, uint8 u = {128}, int8 n = {3}, int32[2] i = {1, 2}, int32 zi = {0}> {
        q = QuantizeLinear(x, s, u)
        y = DequantizeLinear(q, s, u)
        r = QuantizeLinear(x, s, n)
        z = DequantizeLinear(i, s, zi)
      }
      """#)
    let lines = TargetCheck.problems(in: graph, for: TensorRTTarget()).map(\.line)
    #expect(
      lines == [
        "#0 (QuantizeLinear): the output is uint8; only int8 (give an int8 y_zero_point); y_zero_point must be a constant 0",
        "#1 (DequantizeLinear): x_zero_point must be a constant 0",
        "#2 (QuantizeLinear): y_zero_point must be a constant 0",
        "#3 (DequantizeLinear): input x is int32; only int8",
      ])
  }
}
