// Observing a run: every fed input and node output of the main graph, by name, in order.

import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

/// x → Conv(w) → c → Relu → y, and c → Neg → n; `w` is a constant.
private func observedModel() -> Model {
  let builder = GraphBuilder()
  let x = builder.input("x", "float32[1,1,3,3]")
  let w = builder.constant("w", [1, -2, 3, -4], dims: [1, 1, 2, 2])
  let convolved = builder.op("Conv", x, w, output: "c")
  builder.output(builder.op("Relu", convolved, output: "y"))
  builder.output(builder.op("Neg", convolved, output: "n"))
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
}

@Test func theObserverSeesInputsAndNodeOutputsButNoConstants() throws {
  let executor = try Executor(model: observedModel())
  let x = try HostTensor(shape: [1, 1, 3, 3], values: (1...9).map(Float.init))
  var seen: [(String, [Float])] = []
  let outputs = try executor.run(["x": x]) { name, tensor in seen.append((name, tensor.scalars(as: Float.self))) }
  #expect(seen.map(\.0) == ["x", "c", "y", "n"])
  #expect(seen[1].1 == [-11, -13, -17, -19])
  #expect(seen[2].1 == [0, 0, 0, 0])
  #expect(outputs["n"]?.scalars(as: Float.self) == [11, 13, 17, 19])
}

@Test func aFusedActivationStillShowsTheConvOutput() throws {
  let builder = GraphBuilder()
  let x = builder.input("x", "float32[1,1,2,2]")
  let w = builder.constant("w", [-1], dims: [1, 1, 1, 1])
  builder.output(builder.op("Relu", builder.op("Conv", x, w, output: "c"), output: "y"))
  let model = Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
  let x1 = try HostTensor(shape: [1, 1, 2, 2], values: [Float(1), 2, 3, 4])
  var seen: [String: [Float]] = [:]
  let outputs = try Executor(model: model).run(["x": x1]) { name, tensor in seen[name] = tensor.scalars(as: Float.self) }
  #expect(seen["c"] == [-1, -2, -3, -4], "the Conv runs unfused while observed")
  #expect(outputs["y"]?.scalars(as: Float.self) == [0, 0, 0, 0])
}

@Test func anObserverErrorStopsTheRun() throws {
  let executor = try Executor(model: observedModel())
  let x = try HostTensor(shape: [1, 1, 3, 3], values: [Float](repeating: 0, count: 9))
  #expect(throws: KilnError.self) {
    _ = try executor.run(["x": x]) { name, _ in
      if name == "c" { throw KilnError.badInput("stop") }
    }
  }
}
