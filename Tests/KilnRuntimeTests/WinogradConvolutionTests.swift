// Winograd F(4×4, 3×3) Conv against the definition, and the executor's reuse of its weight transform.

import Foundation
import KilnIR
import KilnTestSupport
import Testing

@testable import KilnRuntime

/// One Winograd case: images, input and output channels, input plane (height, width), pads
/// (top, left, bottom, right) or an auto_pad, bias, activation.
struct WinogradCase: Sendable, CustomTestStringConvertible {
  var images = 1
  var channels = 5
  var outputs = 7
  let plane: [Int]
  var pads = [1, 1, 1, 1]
  var autoPad: String? = nil
  var bias = true
  var activation: FusedActivation? = nil
  /// Tiles per block; nil for the default.
  var blockTiles: Int? = nil

  var testDescription: String {
    "N \(images) C \(channels) M \(outputs) plane \(plane) pads \(autoPad ?? "\(pads)") bias \(bias) "
      + "activation \(activation.map { "[\($0.low), \($0.high)]" } ?? "none") block \(blockTiles ?? 0)"
  }

  var attributes: [Attribute] {
    [Attribute("kernel_shape", .ints([3, 3]))]
      + (autoPad.map { [Attribute("auto_pad", .string(Data($0.utf8)))] }
        ?? [Attribute("pads", .ints(pads.map(Int64.init)))])
  }

  /// The pads: SAME_UPPER and SAME_LOWER pad a 3×3 stride-1 window by one on every side.
  var resolvedPads: [Int] { autoPad == nil ? pads : [1, 1, 1, 1] }

  /// Seeded operands in [-1, 1): x [N, C, plane], w [M, C, 3, 3], bias [M] (or none).
  func operands(seed: UInt64 = 0) throws -> [HostTensor?] {
    var generator = SplitMix64(seed: seed &+ UInt64(images * 1000 + channels * 100 + outputs + plane[0] * 7 + plane[1]))
    let random = { (count: Int) in (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) } }
    let x = try HostTensor(shape: [images, channels] + plane, values: random(images * channels * plane[0] * plane[1]))
    let w = try HostTensor(shape: [outputs, channels, 3, 3], values: random(outputs * channels * 9))
    let b = bias ? try HostTensor(shape: [outputs], values: random(outputs)) : nil
    return [x, w, b]
  }

  /// The definition's result (bias added, activation applied), and the largest magnitude
  /// before the activation, which scales the error Winograd may make.
  func expected() throws -> (values: [Float], scale: Float) {
    referenceConv(try operands(), strides: [1, 1], pads: resolvedPads, dilations: [1, 1], activation: activation)
  }

  /// The largest difference between `got` and the expected values, relative to the expected
  /// magnitude before the activation.
  func relativeError(_ got: [Float]) throws -> Float {
    let (values, scale) = try expected()
    guard got.count == values.count else { return .infinity }
    return (zip(got, values).map { abs($0 - $1) }.max() ?? 0) / max(scale, .leastNormalMagnitude)
  }

  /// The Conv's window geometry.
  func geometry() throws -> WindowGeometry {
    let node = Node(name: "conv", opType: "Conv", inputs: [], outputs: [], attributes: attributes)
    return try WindowGeometry(KernelInvocation(node: node, opset: 17, inputs: []), input: plane, kernel: [3, 3])
  }

  /// The result of `WinogradConvolution` itself, whatever its size thresholds say.
  func winograd(threads: Int) throws -> [Float] {
    let inputs = try operands(), geometry = try geometry()
    let y = try HostTensor(uninitialized: .float, shape: [images, outputs] + geometry.output)
    let u = try WinogradConvolution.transformWeights(inputs[1]!)
    let convolution = WinogradConvolution(
      geometry: geometry, images: images, channels: channels, outputs: outputs, blockTiles: blockTiles)
    try convolution.run(
      x: inputs[0]!.elements(as: Float.self).baseAddress!, u: u.elements(as: Float.self).baseAddress!,
      y: y.mutableElements(as: Float.self).baseAddress!,
      bias: inputs[2]?.scalars(as: Float.self) ?? [Float](repeating: 0, count: outputs), activation: activation,
      threads: threads)
    return y.scalars(as: Float.self)
  }
}

/// Winograd's transforms lose a little more precision than the direct sum: 1e-5 of the
/// output's magnitude (the worst in these cases is about 3e-6).
private let tolerance: Float = 1e-5

private let relu = FusedActivation(low: 0, high: .infinity)
private let clip = FusedActivation(low: -0.5, high: 0.75)

@Test(arguments: [
  WinogradCase(plane: [5, 7]),
  WinogradCase(plane: [9, 9], pads: [0, 0, 0, 0]),
  WinogradCase(plane: [17, 3], pads: [2, 2, 2, 2]),
  WinogradCase(plane: [4, 4]),
  WinogradCase(plane: [3, 3], pads: [0, 0, 0, 0]),  // one output, one partial tile
  WinogradCase(plane: [1, 2], pads: [1, 1, 1, 1]),
  WinogradCase(plane: [8, 11], pads: [0, 2, 1, 0]),  // asymmetric pads
  WinogradCase(plane: [10, 6], pads: [2, 0, 0, 1]),
  WinogradCase(plane: [7, 13], autoPad: "SAME_UPPER"),
  WinogradCase(plane: [6, 9], autoPad: "SAME_LOWER", bias: false),
  WinogradCase(plane: [12, 12], bias: false, activation: relu),
  WinogradCase(plane: [11, 14], pads: [1, 2, 2, 1], activation: clip),
  WinogradCase(images: 2, channels: 13, outputs: 9, plane: [9, 10], activation: relu),  // batch 2
  WinogradCase(images: 2, channels: 1, outputs: 1, plane: [6, 5], pads: [0, 1, 1, 0]),
  WinogradCase(channels: 3, outputs: 2, plane: [6, 270]),  // a tile row longer than one run of tiles
  WinogradCase(images: 3, channels: 16, outputs: 24, plane: [30, 29], activation: clip),
  // Blocks that span images, and blocks of fewer tiles than a vector step.
  WinogradCase(images: 3, channels: 9, outputs: 10, plane: [30, 29], activation: clip, blockTiles: 45),
  WinogradCase(images: 2, channels: 6, outputs: 5, plane: [13, 6], pads: [0, 1, 2, 1], blockTiles: 7),
])
func winogradMatchesTheDefinition(_ setup: WinogradCase) throws {
  for threads in [1, 2] {
    let error = try setup.relativeError(try setup.winograd(threads: threads))
    #expect(error <= tolerance, "threads \(threads): relative error \(error)")
  }
}

@Test func largeThreeByThreeConvsTakeTheWinogradPath() throws {
  let setup = WinogradCase(images: 2, channels: 8, outputs: 12, plane: [16, 15], pads: [1, 0, 1, 2], activation: relu)
  let geometry = try setup.geometry()
  #expect(WinogradConvolution.applies(to: geometry, group: 1, images: 2, channels: 8, outputs: 12))
  #expect(!WinogradConvolution.applies(to: geometry, group: 2, images: 2, channels: 8, outputs: 12))
  #expect(!WinogradConvolution.applies(to: geometry, group: 1, images: 2, channels: 1, outputs: 12))
  let small = try WinogradCase(plane: [7, 7]).geometry()  // 4 tiles per image
  #expect(!WinogradConvolution.applies(to: small, group: 1, images: 1, channels: 512, outputs: 512))
  #expect(WinogradConvolution.applies(to: small, group: 1, images: 4, channels: 512, outputs: 512))
  for threads in [1, 2] {
    let y = try runKernel(
      "Conv", try setup.operands(), attributes: setup.attributes, threads: threads, fusedActivation: relu)
    #expect(try setup.relativeError(y.scalars(as: Float.self)) <= tolerance, "threads \(threads)")
  }
}

/// x [1, 8, 14, 14] → Conv(x, w, b) → y, with w an initializer or a graph input.
private func convModel(weights: HostTensor, bias: HostTensor, weightsFed: Bool) throws -> Model {
  let builder = GraphBuilder()
  let x = builder.input("x", "float32[1,8,14,14]")
  let w: Value
  if weightsFed {
    w = builder.input("w", "float32[8,8,3,3]")
  } else {
    w = builder.constant("w", weights.scalars(as: Float.self), dims: weights.shape.map(Int64.init))
  }
  let b = builder.constant("b", bias.scalars(as: Float.self), dims: [8])
  let pads = Attribute("pads", .ints([1, 1, 1, 1]))
  builder.output(builder.node("Conv", [x, w, b], outputs: ["y"], attributes: [pads])[0])
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
}

@Test func anExecutorTransformsConstantWeightsOnceAndFedWeightsEveryRun() throws {
  let setup = WinogradCase(channels: 8, outputs: 8, plane: [14, 14])
  let first = try setup.operands(), second = try setup.operands(seed: 1)
  let (x, otherX, otherW) = (first[0]!, second[0]!, second[1]!)
  let direct = { (x: HostTensor, w: HostTensor) in
    try runKernel("Conv", [x, w, first[2]], attributes: setup.attributes)
  }

  let constant = try Executor(model: try convModel(weights: first[1]!, bias: first[2]!, weightsFed: false))
  let runs = try [x, x, otherX].map { try #require(try constant.run(["x": $0])["y"]).scalars(as: Float.self) }
  #expect(runs[0] == runs[1])
  #expect(runs[0] == (try direct(x, first[1]!).scalars(as: Float.self)))
  #expect(runs[2] == (try direct(otherX, first[1]!).scalars(as: Float.self)))

  let fed = try Executor(model: try convModel(weights: first[1]!, bias: first[2]!, weightsFed: true))
  for w in [first[1]!, otherW, first[1]!] {
    let y = try #require(try fed.run(["x": x, "w": w])["y"])
    #expect(y.scalars(as: Float.self) == (try direct(x, w).scalars(as: Float.self)))
  }
}

@Test func aDerivedTensorIsKeptOnlyForAnInitializersOwnTensor() throws {
  let builder = GraphBuilder()
  let w = builder.constant("w", [1, 2, 3])
  builder.graph.inputs.append(w)  // an initializer that a caller may override
  let node = builder.node("Identity", [w], outputs: ["y"])[0].producer!
  let model = Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
  let context = ExecutionContext(model: model, options: ExecutionOptions())
  var derivations = 0
  let derive = { () throws -> HostTensor in
    derivations += 1
    return try HostTensor(scalar: Float(derivations))
  }
  let own = try context.constant(w), fed = try HostTensor(shape: [3], values: [Float(1), 2, 3])
  let kept = try context.derived(fromInput: 0, of: node, value: w, holding: own, derive)
  let reused = try context.derived(fromInput: 0, of: node, value: w, holding: own, derive)
  #expect(derivations == 1 && kept.buffer === reused.buffer)
  _ = try context.derived(fromInput: 0, of: node, value: w, holding: fed, derive)
  _ = try context.derived(fromInput: 0, of: node, value: w, holding: fed, derive)
  #expect(derivations == 3)
}

@Test func aProductOverSeveralBlocksOfTheSumMatchesIm2col() throws {
  // 2 × 9 tiles of 300 channels: each ξ's product sums over two blocks of the packed GEMM's
  // depth. One image alone has too few tiles for Winograd, so it gives the im2col result to
  // compare with. The rounding error grows with the channels summed: about 1e-5 here.
  let setup = WinogradCase(images: 2, channels: 300, outputs: 256, plane: [12, 12])
  let inputs = try setup.operands(), x = inputs[0]!.scalars(as: Float.self)
  let geometry = try setup.geometry()
  #expect(WinogradConvolution.applies(to: geometry, group: 1, images: 2, channels: 300, outputs: 256))
  #expect(!WinogradConvolution.applies(to: geometry, group: 1, images: 1, channels: 300, outputs: 256))
  let im2col = try (0..<2).flatMap { image in
    let half = x.count / 2
    let one = try HostTensor(shape: [1, 300, 12, 12], values: Array(x[(image * half)..<((image + 1) * half)]))
    return try runKernel("Conv", [one, inputs[1], inputs[2]], attributes: setup.attributes).scalars(as: Float.self)
  }
  let scale = im2col.map(abs).max() ?? 1
  for threads in [1, 2] {
    let y = try runKernel("Conv", inputs, attributes: setup.attributes, threads: threads).scalars(as: Float.self)
    let error = (zip(y, im2col).map { abs($0 - $1) }.max() ?? .infinity) / scale
    #expect(y.count == im2col.count && error <= 3 * tolerance, "threads \(threads): relative error \(error)")
  }
}

/// A node of constants only (a QDQ model's DequantizeLinear of its weights; a Mul here) whose
/// output the executor keeps: what is derived from that output is kept too, and derived anew
/// from any other tensor.
@Test func aDerivedTensorIsKeptForAKeptConstantNodeOutput() throws {
  let builder = GraphBuilder()
  let raw = builder.constant("raw", [1, 2, 3], dims: [3])
  let scale = builder.constant("scale", [0.5], dims: [])
  let weights = builder.node("Mul", [raw, scale], outputs: ["w"])[0]
  let node = builder.node("Identity", [weights], outputs: ["y"])[0].producer!
  let model = Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
  let context = ExecutionContext(model: model, options: ExecutionOptions())
  let dequantized = try HostTensor(shape: [3], values: [Float(0.5), 1, 1.5])
  let kept = try context.constantOutputs(of: weights.producer!) { [.tensor(dequantized)] }
  var derivations = 0
  let derive = { () throws -> HostTensor in
    derivations += 1
    return try HostTensor(scalar: Float(derivations))
  }
  for _ in 0..<2 { _ = try context.derived(fromInput: 0, of: node, value: weights, holding: kept[0]!.tensor!, derive) }
  #expect(derivations == 1)
  let recomputed = try HostTensor(shape: [3], values: [Float(0.5), 1, 1.5])
  _ = try context.derived(fromInput: 0, of: node, value: weights, holding: recomputed, derive)
  #expect(derivations == 2)
}
