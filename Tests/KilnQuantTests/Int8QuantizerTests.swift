// int8 QDQ: golden graphs (per channel, per tensor, skip lists, int8/uint8), numbers, errors, size.

import Foundation
import KilnIR
import KilnONNX
import KilnQuant
import KilnRuntime
import Testing

@Suite("int8 quantization")
struct Int8QuantizerTests {
  static let opset13 = #"<ir_version: 8, opset_import: ["" : 13]>"#

  /// Conv (channel scales 1 and 0.5) + Relu + Gemm (transB, row scales 1 and 1).
  static let network = opset13 + """
    g (float[1, 2, 1, 1] X) => (float[1, 2] Y) <float[2, 2, 1, 1] W = {127.0, 0.0, 0.0, -63.5}, float[2] B = {1.0, 2.0},
      float[2, 2] G = {127.0, 63.5, -127.0, 0.5}> {
      C = Conv(X, W, B)
      R = Relu(C)
      F = Flatten(R)
      Y = Gemm<transB = 1>(F, G)
    }
    """

  /// Ranges with scale 1: X and F asymmetric.
  static let ranges = ["X": TensorRange(min: -128, max: 127), "F": TensorRange(min: 0, max: 255)]

  /// The quantized graph with `weights` (W, B, G initializers) and the Q/DQ body around
  /// `conv` (the Conv line) for activation type `type` with zero points `xZero`, `fZero`.
  static func expected(
    weights: String, axis: String, gemmScale: String = perChannelGemmScale, type: String = "int8", xZero: String = "0",
    fZero: String = "-128"
  ) -> String {
    opset13 + """
      g (float[1, 2, 1, 1] X) => (float[1, 2] Y) <float X_scale = {1.0}, \(type) X_zero_point = {\(xZero)}, \(weights),
        float F_scale = {1.0}, \(type) F_zero_point = {\(fZero)},
        int8[2, 2] G_quantized = {127, 64, -127, 0}, \(gemmScale)> {
        X_quantized = QuantizeLinear(X, X_scale, X_zero_point)
        X_dequantized = DequantizeLinear(X_quantized, X_scale, X_zero_point)
        W_dequantized = DequantizeLinear\(axis)(W_quantized, W_scale, W_zero_point)
        B_dequantized = DequantizeLinear\(axis)(B_quantized, B_scale, B_zero_point)
        C = Conv(X_dequantized, W_dequantized, B_dequantized)
        R = Relu(C)
        F = Flatten(R)
        F_quantized = QuantizeLinear(F, F_scale, F_zero_point)
        F_dequantized = DequantizeLinear(F_quantized, F_scale, F_zero_point)
        G_dequantized = DequantizeLinear\(axis)(G_quantized, G_scale, G_zero_point)
        Y = Gemm<transB = 1>(F_dequantized, G_dequantized)
      }
      """
  }

  static let perChannelGemmScale = "float[2] G_scale = {1.0, 1.0}, int8[2] G_zero_point = {0, 0}"
  static let perChannelWeights = """
    int8[2, 2, 1, 1] W_quantized = {127, 0, 0, -127}, float[2] W_scale = {1.0, 0.5}, int8[2] W_zero_point = {0, 0},
    int32[2] B_quantized = {1, 4}, float[2] B_scale = {1.0, 0.5}, int32[2] B_zero_point = {0, 0}
    """

  /// Quantizes `Self.network` with `options` and expects the graph `expected`, a valid model.
  func expectGolden(_ options: Int8QuantizationOptions, _ expected: String, ranges: [String: TensorRange] = Self.ranges) throws {
    let subject = try model(Self.network)
    let report = try Int8Quantizer(options: options).quantize(subject, ranges: ranges)
    #expect(printed(subject) == printed(try model(expected)))
    #expect(report.nodes.count == 2)
    try expectValidONNX(subject)
  }

  @Test("Conv+Relu+Gemm per channel: int8 weights by channel, int32 bias at input × weight scale, one Q/DQ on X and F")
  func perChannel() throws {
    try expectGolden(.init(), Self.expected(weights: Self.perChannelWeights, axis: "<axis = 0>"))
  }

  @Test("per tensor: one scale per weight (−63.5 rounds half to even), scalar bias scale, no axis")
  func perTensor() throws {
    try expectGolden(
      .init(perChannel: false),
      Self.expected(
        weights: """
          int8[2, 2, 1, 1] W_quantized = {127, 0, 0, -64}, float W_scale = {1.0}, int8 W_zero_point = {0},
          int32[2] B_quantized = {1, 2}, float B_scale = {1.0}, int32 B_zero_point = {0}
          """, axis: "", gemmScale: "float G_scale = {1.0}, int8 G_zero_point = {0}"))
  }

  @Test("uint8 activations: zero points 128 for [−128, 127] and 0 for [0, 255]")
  func uint8Activations() throws {
    try expectGolden(
      .init(activationType: .uint8),
      Self.expected(weights: Self.perChannelWeights, axis: "<axis = 0>", type: "uint8", xZero: "128", fZero: "0"))
  }

  @Test("skip list by op type and by node name: Gemm stays float, F needs no range")
  func skipList() throws {
    let expected = Self.opset13 + """
      g (float[1, 2, 1, 1] X) => (float[1, 2] Y) <float[2, 2] G = {127.0, 63.5, -127.0, 0.5}, float X_scale = {1.0},
        int8 X_zero_point = {0}, \(Self.perChannelWeights)> {
        X_quantized = QuantizeLinear(X, X_scale, X_zero_point)
        X_dequantized = DequantizeLinear(X_quantized, X_scale, X_zero_point)
        W_dequantized = DequantizeLinear<axis = 0>(W_quantized, W_scale, W_zero_point)
        B_dequantized = DequantizeLinear<axis = 0>(B_quantized, B_scale, B_zero_point)
        C = Conv(X_dequantized, W_dequantized, B_dequantized)
        R = Relu(C)
        F = Flatten(R)
        Y = Gemm<transB = 1>(F, G)
      }
      """
    let ranges = ["X": Self.ranges["X"]!]
    try expectGolden(.init(skipOpTypes: ["Gemm"]), expected, ranges: ranges)
    let subject = try model(Self.network)
    subject.graph.nodes.last?.name = "head"
    let report = try Int8Quantizer(options: .init(skipNodes: ["head"])).quantize(subject, ranges: ranges)
    #expect(printed(subject) == printed(try model(expected)))
    #expect(report.nodes.last == .init(name: "head", opType: "Gemm", quantized: false, reason: "the node is in the skip list"))
  }

  @Test("a needed tensor without a range: an error naming it, the model unchanged")
  func missingRange() throws {
    let subject = try model(Self.network)
    let before = printed(subject)
    #expect {
      try Int8Quantizer().quantize(subject, ranges: ["X": Self.ranges["X"]!])
    } throws: { error in
      let error = error as? KilnError
      return error?.kind == .badInput && error?.message.contains("'F'") == true
        && error?.hint?.contains("same model after the same preparation pipeline") == true
    }
    #expect(printed(subject) == before)
  }

  @Test("opset 11 falls back to per tensor and says so; opset 9 is refused")
  func opsets() throws {
    let opset11 = try model(Self.network.replacingOccurrences(of: #""" : 13"#, with: #""" : 11"#))
    let report = try Int8Quantizer().quantize(opset11, ranges: Self.ranges)
    #expect(!report.perChannel && report.notes.contains { $0.contains("per tensor") })
    #expect(!printed(opset11).contains("axis"))
    let opset9 = try model(Self.network.replacingOccurrences(of: #""" : 13"#, with: #""" : 9"#))
    #expect(throws: KilnError.self) { try Int8Quantizer().quantize(opset9, ranges: Self.ranges) }
  }

  @Test("scales: ranges widened to hold 0, symmetric schemes, a zero-width range gets a tiny scale")
  func scales() {
    let positive = LinearQuantization.activation(TensorRange(min: 1, max: 255), type: .uint8, symmetric: false)
    #expect(positive == LinearQuantization(scale: 1, zeroPoint: 0))
    let symmetric = LinearQuantization.activation(TensorRange(min: -2, max: 127), type: .int8, symmetric: true)
    #expect(symmetric == LinearQuantization(scale: 1, zeroPoint: 0))
    let centered = LinearQuantization.activation(TensorRange(min: -255, max: 1), type: .uint8, symmetric: true)
    #expect(centered == LinearQuantization(scale: 2, zeroPoint: 128))
    let zero = LinearQuantization.activation(TensorRange(min: 0, max: 0), type: .int8, symmetric: false)
    #expect(zero.scale == LinearQuantization.minimumScale && zero.scale > 0)
  }

  /// A weight-heavy CNN: two 3×3 convolutions, a shared activation read twice, a MatMul head.
  static func cnn(channels: Int = 16, features: Int = 64) -> String {
    let c = channels
    return opset13 + """
      g (float[1, 3, 8, 8] X) => (float[1, 10] Y, float[1, \(c), 8, 8] Z) <
        float[\(c), 3, 3, 3] W1 = {\(numbers(c * 27, seed: 1))}, float[\(c)] B1 = {\(numbers(c, seed: 2))},
        float[\(c), \(c), 3, 3] W2 = {\(numbers(c * c * 9, seed: 3))}, float[\(c)] B2 = {\(numbers(c, seed: 4))},
        float[\(c), \(c), 1, 1] W3 = {\(numbers(c * c, seed: 5))},
        float[\(c), 10] M = {\(numbers(c * 10, seed: 6))}, float[10] MB = {\(numbers(10, seed: 7))}> {
        C1 = Conv<pads = [1, 1, 1, 1]>(X, W1, B1)
        R1 = Relu(C1)
        C2 = Conv<pads = [1, 1, 1, 1]>(R1, W2, B2)
        R2 = Relu(C2)
        Z = Conv(R1, W3)
        P = GlobalAveragePool(R2)
        F = Flatten(P)
        H = MatMul(F, M)
        Y = Add(H, MB)
      }
      """
  }

  static func numbers(_ count: Int, seed: UInt64) -> String {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in String(Float(Double.random(in: -0.5..<0.5, using: &generator))) }.joined(separator: ", ")
  }

  @Test("numbers: the int8 model in KilnRuntime is within a few % of the float one, per channel and per tensor")
  func numbers() throws {
    let text = Self.cnn()
    let feeds = try randomFeeds(try model(text), seed: 7)
    let ranges = try observedRanges(text, ["X", "R1", "F"], feeds: feeds)
    let expected = try Executor(model: try model(text)).run(feeds)
    for options in [Int8QuantizationOptions(), .init(perChannel: false), .init(activationType: .uint8, symmetricActivations: true)] {
      let subject = try model(text)
      let report = try Int8Quantizer(options: options).quantize(subject, ranges: ranges)
      #expect(report.quantizedCount == 4)
      try expectValidONNX(subject)
      let error = try worstRelativeError(expected, try Executor(model: subject).run(feeds))
      #expect(error < 0.05, "relative error \(error) with \(options)")
    }
  }

  @Test("a weight-heavy model's file is about 1/4 of the float one")
  func size() throws {
    let text = Self.cnn(channels: 48)
    let subject = try model(text)
    let float = try ONNXModelWriter.serialize(subject).count
    let ranges = ["X": TensorRange(min: -1, max: 1), "R1": TensorRange(min: 0, max: 4), "F": TensorRange(min: 0, max: 2)]
    let report = try Int8Quantizer().quantize(subject, ranges: ranges)
    let quantized = try ONNXModelWriter.serialize(subject).count
    let ratio = Double(quantized) / Double(float)
    #expect(ratio > 0.24 && ratio < 0.3, "int8 / float32 = \(ratio)")
    #expect(Double(report.weightBytesAfter) / Double(report.weightBytesBefore) < 0.3)
  }
}
