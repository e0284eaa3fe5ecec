// int8 QDQ on residual Adds: both inputs get a Q/DQ pair (shared with other quantized readers),
// Adds of a constant are left alone, missing ranges, skip lists and QDQ inputs leave the Add float.

import KilnIR
import KilnQuant
import KilnRuntime
import Testing

@Suite("int8 quantization of residual Adds")
struct Int8ResidualAddTests {
  /// A residual block: X → Conv → Relu (R) → Add(R, X) → Conv → Y, and a bias Add of a constant.
  static let network = Int8QuantizerTests.opset13 + """
    g (float[1, 2, 1, 1] X) => (float[1, 2, 1, 1] Y) <float[2, 2, 1, 1] W = {127.0, 0.0, 0.0, 127.0},
      float[2, 2, 1, 1] V = {127.0, 0.0, 0.0, -127.0}, float[1, 2, 1, 1] K = {1.0, 2.0}> {
      C = Conv(X, W)
      R = Relu(C)
      S = Add(R, X)
      T = Conv(S, V)
      Y = Add(T, K)
    }
    """

  static let ranges = [
    "X": TensorRange(min: -128, max: 127), "R": TensorRange(min: 0, max: 255), "S": TensorRange(min: -128, max: 127),
  ]

  /// Per-channel weights of W and V with scale 1, the Q/DQ pairs of X and S, and `body`.
  static func expected(_ initializers: String, _ body: String) -> String {
    Int8QuantizerTests.opset13 + """
      g (float[1, 2, 1, 1] X) => (float[1, 2, 1, 1] Y) <float[1, 2, 1, 1] K = {1.0, 2.0}, float X_scale = {1.0},
        int8 X_zero_point = {0}, int8[2, 2, 1, 1] W_quantized = {127, 0, 0, 127}, float[2] W_scale = {1.0, 1.0},
        int8[2] W_zero_point = {0, 0}, \(initializers)float S_scale = {1.0}, int8 S_zero_point = {0},
        int8[2, 2, 1, 1] V_quantized = {127, 0, 0, -127}, float[2] V_scale = {1.0, 1.0}, int8[2] V_zero_point = {0, 0}> {
        X_quantized = QuantizeLinear(X, X_scale, X_zero_point)
        X_dequantized = DequantizeLinear(X_quantized, X_scale, X_zero_point)
        W_dequantized = DequantizeLinear<axis = 0>(W_quantized, W_scale, W_zero_point)
        C = Conv(X_dequantized, W_dequantized)
        R = Relu(C)
        \(body)
        S_quantized = QuantizeLinear(S, S_scale, S_zero_point)
        S_dequantized = DequantizeLinear(S_quantized, S_scale, S_zero_point)
        V_dequantized = DequantizeLinear<axis = 0>(V_quantized, V_scale, V_zero_point)
        T = Conv(S_dequantized, V_dequantized)
        Y = Add(T, K)
      }
      """
  }

  @Test("both inputs of the residual Add read Q/DQ pairs, X's shared with the Conv; the Add of a constant stays")
  func residualAdd() throws {
    let subject = try model(Self.network)
    let report = try Int8Quantizer().quantize(subject, ranges: Self.ranges)
    let expected = Self.expected(
      "float R_scale = {1.0}, int8 R_zero_point = {-128}, ",
      """
      R_quantized = QuantizeLinear(R, R_scale, R_zero_point)
        R_dequantized = DequantizeLinear(R_quantized, R_scale, R_zero_point)
        S = Add(R_dequantized, X_dequantized)
      """)
    #expect(printed(subject) == printed(try model(expected)))
    #expect(report.nodes.map(\.opType) == ["Conv", "Add", "Conv"] && report.quantizedCount == 3)
    try expectValidONNX(subject)
  }

  @Test("an Add without ranges (older statistics) or in the skip list stays float and says why")
  func floatAdds() throws {
    let unranged = try model(Self.network)
    let report = try Int8Quantizer().quantize(unranged, ranges: Self.ranges.filter { $0.key != "R" })
    let float = Self.expected("", "S = Add(R, X)")
    #expect(printed(unranged) == printed(try model(float)))
    #expect(report.nodes[1].quantized == false && report.nodes[1].reason?.contains("no range for 'R'") == true)
    #expect(report.nodes[1].reason?.contains("recalibrate") == true)
    let skipped = try model(Self.network)
    let skipReport = try Int8Quantizer(options: .init(skipOpTypes: ["Add"])).quantize(skipped, ranges: Self.ranges)
    #expect(printed(skipped) == printed(try model(float)))
    #expect(skipReport.nodes[1] == .init(name: "", opType: "Add", quantized: false, reason: "op type Add is in the skip list"))
  }

  @Test("quantizing a quantized model again leaves its Adds as they are")
  func twice() throws {
    let subject = try model(Self.network)
    _ = try Int8Quantizer().quantize(subject, ranges: Self.ranges)
    let once = printed(subject)
    let report = try Int8Quantizer().quantize(subject, ranges: Self.ranges)
    #expect(printed(subject) == once)
    let add = try #require(report.nodes.first { $0.opType == "Add" })
    #expect(!add.quantized && add.reason == "an input is already dequantized (the model holds QDQ nodes)")
  }

  @Test("numbers: the quantized residual block in KilnRuntime stays within a few % of the float one")
  func numbers() throws {
    let text = Self.network
    let feeds = try randomFeeds(try model(text), seed: 3)
    let ranges = try observedRanges(text, ["X", "R", "S"], feeds: feeds)
    let expected = try Executor(model: try model(text)).run(feeds)
    let subject = try model(text)
    _ = try Int8Quantizer().quantize(subject, ranges: ranges)
    let error = try worstRelativeError(expected, try Executor(model: subject).run(feeds))
    #expect(error < 0.05, "relative error \(error)")
  }

  @Test("calibration measures both inputs of the residual Add, not the Add of a constant")
  func measured() throws {
    let calibrator = try Calibrator(model: try model(Self.network))
    #expect(calibrator.observed == ["X", "R", "S"])
  }
}
