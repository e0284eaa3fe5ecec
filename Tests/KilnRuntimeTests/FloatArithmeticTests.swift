// The float32 fast path of Add, Sub, Mul and Div, and the Relu or Clip fused into it.

import KilnIR
import KilnTestSupport
import Testing

@testable import KilnRuntime

/// Values that exercise IEEE edge cases, repeated to `count` (enough for several chunks).
private func edgeValues(_ count: Int, offset: Int) -> [Float] {
  let pattern: [Float] = [0, -0.0, 1, -2.5, .nan, .infinity, -.infinity, 1e-42, 3e38, -7, 0.1, 1e-3]
  return (0..<count).map { pattern[($0 + offset) % pattern.count] * Float(1 + $0 % 5) }
}

private func sameBits(_ x: Float, _ y: Float) -> Bool { x.isNaN ? y.isNaN : x.bitPattern == y.bitPattern }

@Test func theFloatPathGivesOneIEEEOperationPerElement() throws {
  let count = 70_001
  let (a, b) = (edgeValues(count, offset: 0), edgeValues(count, offset: 5))
  let (left, right) = (try HostTensor(shape: [count], values: a), try HostTensor(shape: [count], values: b))
  let scalar = try HostTensor(shape: [1, 1], values: [Float(-3)])
  let wide = try HostTensor(shape: [1, count], values: a)
  let operations: [(String, (Float, Float) -> Float)] = [("Add", (+)), ("Sub", (-)), ("Mul", (*)), ("Div", (/))]
  for (op, operation) in operations {
    for threads in [1, 2] {
      let both = try runKernel(op, [left, right], threads: threads).scalars(as: Float.self)
      #expect(zip(both, zip(a, b)).allSatisfy { sameBits($0, operation($1.0, $1.1)) }, "\(op), \(threads) threads")
      let scalarRight = try runKernel(op, [wide, scalar], threads: threads)
      #expect(scalarRight.shape == [1, count])
      #expect(zip(scalarRight.scalars(as: Float.self), a).allSatisfy { sameBits($0, operation($1, -3)) })
      let scalarLeft = try runKernel(op, [scalar, wide], threads: threads).scalars(as: Float.self)
      #expect(zip(scalarLeft, a).allSatisfy { sameBits($0, operation(-3, $1)) })
    }
  }
}

@Test func theFastPathKeepsTheBroadcastShape() throws {
  let matrix = try HostTensor(shape: [2, 3], values: (1...6).map(Float.init))
  let one = try HostTensor(shape: [1, 1, 1], values: [Float(10)])
  let sum = try runKernel("Add", [matrix, one])
  #expect(sum.shape == [1, 2, 3])
  #expect(sum.scalars(as: Float.self) == [11, 12, 13, 14, 15, 16])
  let ones = try HostTensor(shape: [1, 3], values: [Float(1), 1, 1])
  let row = try runKernel("Sub", [try HostTensor(shape: [3], values: [Float(1), 2, 3]), ones])
  #expect(row.shape == [1, 3] && row.scalars(as: Float.self) == [0, 1, 2])
}

@Test func aFusedClampAppliesOnTheFastAndTheBroadcastingPath() throws {
  let clamp = FusedActivation(low: 0, high: 4)
  let x = try HostTensor(shape: [2, 3], values: [Float(-1), 2, 3, .nan, 5, -6])
  let same = try runKernel("Add", [x, x], fusedActivation: clamp).scalars(as: Float.self)
  #expect(same[0] == 0 && same[1] == 4 && same[2] == 4 && same[3].isNaN && same[4] == 4 && same[5] == 0)
  let row = try HostTensor(shape: [3], values: [Float(1), 1, 1])
  let broadcast = try runKernel("Mul", [x, row], fusedActivation: clamp).scalars(as: Float.self)
  #expect(broadcast[0] == 0 && broadcast[1] == 2 && broadcast[2] == 3 && broadcast[3].isNaN && broadcast[5] == 0)
  let integers = try HostTensor(shape: [2], values: [Int32(-1), 2])
  #expect(throws: KilnError.self) { try runKernel("Add", [integers, integers], fusedActivation: clamp) }
}

/// a, b → `op` → Relu → y; the op's output typed float32 when `typed`, read by a Neg too when
/// `secondReader`.
private func arithmeticReluModel(_ op: String, typed: Bool = true, secondReader: Bool = false) -> Model {
  let builder = GraphBuilder()
  let a = builder.input("a", "float32[2,3]")
  let b = builder.input("b", "float32[2,3]")
  let sum = builder.op(op, a, b, output: "s")
  if typed { sum.type = .tensor(.float, nil) }
  builder.output(builder.op("Relu", sum, output: "y"))
  if secondReader { builder.output(builder.op("Neg", sum, output: "n")) }
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
}

@Test func aReluAfterAFloatAddIsFusedAndGivesTheUnfusedNumbers() throws {
  let plan = { (model: Model) in GraphPlan(model.graph, context: ExecutionContext(model: model, options: ExecutionOptions())) }
  #expect(plan(arithmeticReluModel("Add")).fusions[0]?.clamp == FusedActivation(low: 0, high: .infinity))
  #expect(plan(arithmeticReluModel("Sub")).absorbed == [1])
  #expect(plan(arithmeticReluModel("Add", typed: false)).fusions.isEmpty, "an untyped output may not be float32")
  #expect(plan(arithmeticReluModel("Add", secondReader: true)).fusions.isEmpty)
  #expect(plan(arithmeticReluModel("Mod")).fusions.isEmpty)
  let feeds = [
    "a": try HostTensor(shape: [2, 3], values: [Float(1), -2, 3, -4, 5, -6]),
    "b": try HostTensor(shape: [2, 3], values: [Float(-2), 1, -1, 5, 0, 7]),
  ]
  var registry = KernelRegistry.standard
  registry.register("Relu") { invocation in throw invocation.failure("ran on its own") }
  let fused = try Executor(model: arithmeticReluModel("Add"), options: ExecutionOptions(registry: registry)).run(feeds)
  #expect(fused["y"]?.scalars(as: Float.self) == [0, 0, 2, 1, 5, 1])
  let unfused = try Executor(model: arithmeticReluModel("Add", secondReader: true)).run(feeds)
  #expect(unfused["y"]?.scalars(as: Float.self) == [0, 0, 2, 1, 5, 1])
  #expect(unfused["n"]?.scalars(as: Float.self) == [1, 1, -2, -1, -5, -1])
}
