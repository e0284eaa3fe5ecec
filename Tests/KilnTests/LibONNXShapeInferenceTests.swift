// infer-shapes with libonnx's shape inference as its service, as `kiln convert` runs it.

import Foundation
import Kiln
import KilnIR
import KilnONNX
import KilnPasses
import Testing

@Suite("infer-shapes with libonnx")
struct LibONNXShapeInferenceTests {
  /// A Gemm over a weight larger than what is sent inline, then ops Kiln's rules do not cover.
  static func subject() throws -> Model {
    let weights = (0..<(64 * 32)).map { _ in "0.5" }.joined(separator: ", ")
    return try ONNXModelReader.read(
      bytes: LibONNX.parseText(
        #"<ir_version: 8, opset_import: ["" : 17]>"# + """
          g (float[N, 64] X) => (float[N] Y) <float[64, 32] W = {\(weights)}> {
            G = Gemm(X, W)
            M = ReduceMean<axes = [1], keepdims = 0>(G)
            Y = Relu(M)
          }
          """))
  }

  static func run(_ model: Model, service: (any ShapeInferenceService)?) throws -> PipelineReport {
    let pipeline = Pipeline(name: "test", passes: [try PassRegistry.standard.makePass("infer-shapes")])
    return try PassManager(pipeline: pipeline, verifyEachPass: true)
      .run(on: model, context: PassContext(model: model, shapeInference: service))
  }

  static func type(_ name: String, in model: Model) -> ValueType? {
    model.graph.nodes.compactMap { $0.outputs.first ?? nil }.first { $0.name == name }?.type
  }

  @Test("libonnx types the ops Kiln's rules do not cover, without the large weight's data")
  func libonnx() throws {
    let model = try Self.subject()
    try Self.run(model, service: LibONNXShapeInference(inlineLimit: 1024))
    #expect(Self.type("G", in: model) == .tensor(.float, Shape([.symbolic("N"), .fixed(32)])))
    #expect(Self.type("M", in: model) == .tensor(.float, Shape([.symbolic("N")])))
  }

  @Test("without a service only Kiln's rules run, and the pass says so")
  func withoutService() throws {
    let model = try Self.subject()
    let report = try Self.run(model, service: nil)
    #expect(Self.type("G", in: model) == .tensor(.float, Shape([.symbolic("N"), .fixed(32)])))
    #expect(Self.type("M", in: model) == nil)
    #expect(report.notes.contains { $0.message.contains("no shape-inference service") })
  }
}
