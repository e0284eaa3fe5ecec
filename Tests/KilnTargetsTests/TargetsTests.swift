// The registry of targets.

import KilnIR
import KilnTargets
import Testing

@Suite("Targets")
struct TargetsTests {
  @Test("the registry finds targets by name and refuses unknown names")
  func registry() throws {
    #expect(Targets.all.map(\.name) == ["onnx", "ncnn", "openvino"])
    #expect(try Targets.named("ncnn").legalizationPipeline == "ncnn")
    #expect(throws: KilnError.self) { try Targets.named("caffe") }
  }
}
