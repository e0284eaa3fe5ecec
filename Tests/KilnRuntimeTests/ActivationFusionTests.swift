// The executor's folding of a Relu or Clip into the convolution before it.

import KilnIR
import KilnTestSupport
import Testing

@testable import KilnRuntime

/// x → Conv → `activation` → y; with `secondReader`, a Neg also reads the Conv's output.
private func convActivationModel(
  _ activation: String, clipBounds: (Float, Float)? = nil, secondReader: Bool = false
) -> Model {
  let builder = GraphBuilder()
  let x = builder.input("x", "float32[1,1,3,3]")
  let w = builder.constant("w", [1, -2, 3, -4], dims: [1, 1, 2, 2])
  let convolved = builder.op("Conv", x, w, output: "c")
  let bounds = clipBounds.map { [builder.constant("low", [$0.0], dims: []), builder.constant("high", [$0.1], dims: [])] } ?? []
  builder.output(builder.node(activation, [convolved] + bounds, outputs: ["y"])[0])
  if secondReader { builder.output(builder.op("Neg", convolved, output: "n")) }
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
}

private let x = { try! HostTensor(shape: [1, 1, 3, 3], values: (1...9).map(Float.init)) }()

@Test func reluAndClipAfterAConvGiveTheUnfusedNumbers() throws {
  let raw = try #require(try Executor(model: convActivationModel("Identity")).run(["x": x])["y"]).scalars(as: Float.self)
  #expect(raw == [-11, -13, -17, -19])
  let relu = try Executor(model: convActivationModel("Relu")).run(["x": x])["y"]
  #expect(relu?.scalars(as: Float.self) == [0, 0, 0, 0])
  let clip = try Executor(model: convActivationModel("Clip", clipBounds: (-20, -14))).run(["x": x])["y"]
  #expect(clip?.scalars(as: Float.self) == [-14, -14, -17, -19])
}

@Test func aConvOutputWithASecondReaderStaysUnclamped() throws {
  let outputs = try Executor(model: convActivationModel("Relu", secondReader: true)).run(["x": x])
  #expect(outputs["n"]?.scalars(as: Float.self) == [11, 13, 17, 19], "Neg reads the Conv's own output")
  #expect(outputs["y"]?.scalars(as: Float.self) == [0, 0, 0, 0])
}

@Test func onlyASoleReluOrConstantClipIsPlannedIntoTheConv() {
  let plan = { (model: Model) in GraphPlan(model.graph, context: ExecutionContext(model: model, options: ExecutionOptions())) }
  #expect(plan(convActivationModel("Relu")).fusions[0]?.clamp == FusedActivation(low: 0, high: .infinity))
  #expect(plan(convActivationModel("Clip", clipBounds: (0, 6))).fusions[0]?.clamp == FusedActivation(low: 0, high: 6))
  #expect(plan(convActivationModel("Relu")).absorbed == [1])
  #expect(plan(convActivationModel("Relu", secondReader: true)).fusions.isEmpty)
  #expect(plan(convActivationModel("Sigmoid")).fusions.isEmpty)
}

@Test func anObserverThatSkipsTheConvOutputKeepsTheFusion() throws {
  var registry = KernelRegistry.standard
  registry.register("Relu") { invocation in throw invocation.failure("ran on its own") }
  let executor = try Executor(model: convActivationModel("Relu"), options: ExecutionOptions(registry: registry))
  var seen: [String] = []
  let outputs = try executor.run(["x": x], observing: { name, _ in seen.append(name) }, only: ["x", "y"])
  #expect(seen == ["x", "y"])
  #expect(outputs["y"]?.scalars(as: Float.self) == [0, 0, 0, 0])
  #expect(throws: KilnError.self) { try executor.run(["x": x], observing: { _, _ in }, only: ["c"]) }
  #expect(throws: KilnError.self) { try executor.run(["x": x]) { _, _ in } }
}
