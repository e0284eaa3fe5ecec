// The registry of targets and the ONNX target.

import KilnIR
import KilnTargets
import KilnTestSupport
import Testing

@Suite("Targets")
struct TargetsTests {
  @Test("the registry finds targets by name and refuses unknown names")
  func registry() throws {
    #expect(Targets.all.map(\.name) == ["onnx", "ncnn"])
    #expect(try Targets.named("ncnn").legalizationPipeline == "ncnn")
    #expect(try Targets.named("onnx").legalizationPipeline == "none")
    let error = try #require(throws: KilnError.self) { try Targets.named("caffe") }
    #expect(error.kind == .usage)
    #expect(error.hint?.contains("onnx, ncnn") == true)
  }

  @Test("the ONNX target takes every op, including ones of other domains")
  func onnxTakesEverything() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
      g (float[2] X) => (float[2] Y) { A = com.example.Mystery(X) Y = Erf(A) }
      """#)
    #expect(TargetCheck.problems(in: graph, for: ONNXTarget()).isEmpty)
  }

  @Test("the ncnn target's files: .param and .bin (and .table with int8), from OUT or OUT.param")
  func ncnnFiles() {
    let target = NCNNTarget()
    #expect(target.outputFiles(for: "a/m", options: .init()) == ["a/m.param", "a/m.bin"])
    #expect(target.outputFiles(for: "a/m.param", options: .init()) == ["a/m.param", "a/m.bin"])
    #expect(target.outputFiles(for: "m.bin", options: .init(int8Ranges: [:])) == ["m.param", "m.bin", "m.table"])
  }
}
