// The RKNN target: its check, its files, and --build without rknn-toolkit2.

import Foundation
import KilnIR
import KilnTargets
import KilnTestSupport
import Testing

@Suite("RKNN target")
struct RKNNTargetTests {
  @Test("the check lists every unsupported node, dynamic shapes, ranges and the opset at once")
  func checkListsEveryProblem() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 20]>
      g (float[N, 4, H, W] x, float[2, 4, 3] s) => (float[N, 4, H, W] a, float[2, 4, 3] b, float[N, 4, H, W] c) {
        a = Neg(x)
        b = Softmax<axis = -1>(s)
        c = Resize<mode = "cubic">(x, , , )
      }
      """#)
    let options = TargetOptions(inputShapeRanges: ["s": InputShapeRange(min: [1, 4, 3], opt: [2, 4, 3], max: [2, 4, 3])])
    let lines = TargetCheck.problems(in: graph, for: RKNNTarget(), options: options).map(\.line)
    #expect(lines.count == 6, "\(lines)")
    #expect(lines[0] == "the model imports opset 20; rknn-toolkit2 loads opsets up to 19")
    #expect(lines[1].hasPrefix("input 'x' has dynamic shape [N,4,H,W]; fix it with --input-shape x=1x... (rknn needs static shapes)"))
    #expect(lines[2].hasPrefix("input 's': rknn builds for one static shape"))
    #expect(lines[3] == "#0 (Neg): rknn has no such op")
    #expect(lines[4] == "#1 (Softmax): batch 2; only batch 1")
    #expect(lines[5] == "#2 (Resize): mode 'cubic' is not supported (nearest, linear)")
  }

  @Test("the ONNX alone, or with --build the .rknn beside it")
  func files() {
    let target = RKNNTarget()
    #expect(target.outputFiles(for: "a/m.onnx", options: .init()) == ["a/m.onnx"])
    #expect(target.outputFiles(for: "a/m.onnx", options: .init(build: true)) == ["a/m.onnx", "a/m.rknn"])
    #expect(target.outputFiles(for: "a/m", options: .init(build: true)) == ["a/m", "a/m.rknn"])
  }

  @Test("--build without an rknn venv is bad input saying how to install it, before anything is written")
  func buildWithoutToolkit() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 3] x) => (float[1, 3] y) { y = Relu(x) }
      """#)
    setenv("KILN_RKNN_PYTHON", "/nonexistent/python", 1)
    defer { unsetenv("KILN_RKNN_PYTHON") }
    let error = try #require(throws: KilnError.self) { try RKNNTarget().prepare(graph, options: .init(build: true)) }
    #expect(error.kind == .badInput)
    #expect(error.message.contains("needs rknn-toolkit2"))
    #expect(error.hint?.contains("make setup") == true && error.hint?.contains("KILN_RKNN_PYTHON") == true)
    #expect(try RKNNTarget().prepare(graph, options: .init()).isEmpty)
  }
}
