// The ncnn target: .param text, .bin bytes and the check, on small graphs.

import Foundation
import KilnIR
import KilnTargets
import KilnTestSupport
import Testing

@Suite("ncnn target")
struct NCNNTargetTests {
  /// Conv + Relu (fused), a blob read twice (Split), global pooling, Flatten and Gemm.
  static let network = #"""
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[1, 2, 4, 4] x) => (float[1, 3] y)
    <float[2, 2, 1, 1] w = {1, 2, 3, 4}, float[2] b = {0.5, -0.5}, float[3, 2] fw = {1, 2, 3, 4, 5, 6},
     float[3] fb = {0, 1, 2}, float[1, 2, 4, 4] r, float[1, 2, 4, 4] s, float[1, 2, 1, 1] p, float[1, 2] f> {
      c = Conv(x, w, b)
      r = Relu(c)
      s = Add(r, r)
      p = GlobalAveragePool(s)
      f = Flatten(p)
      y = Gemm(f, fw, fb) <transB = 1>
    }
    """#

  @Test("names longer than ncnn's 255-byte buffers are cut and stay unique")
  func longNames() throws {
    let long = String(repeating: "model_1_batch_normalization_FusedBatchNormV3_", count: 8)
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 2, 4, 4] x) => (float[1, 2, 4, 4] y)
      <float[1, 2, 4, 4] \#(long)a, float[1, 2, 4, 4] \#(long)b> {
        \#(long)a = Relu(x)
        \#(long)b = Sigmoid(\#(long)a)
        y = Add(\#(long)a, \#(long)b)
      }
      """#)
    try withTemporaryFolder { folder in
      try NCNNTarget().write(graph, to: folder.file("m"), options: .init())
      let lines = try text(at: folder.file("m.param")).split(separator: "\n").dropFirst(2)
      let names = lines.flatMap { line -> [Substring] in
        let fields = line.split(separator: " ")
        let (inputs, outputs) = (Int(fields[2])!, Int(fields[3])!)
        return [fields[1]] + fields[4..<(4 + inputs + outputs)]
      }
      #expect(names.allSatisfy { $0.utf8.count <= 255 })
      let blobs = lines.flatMap { line -> [Substring] in
        let fields = line.split(separator: " ")
        return Array(fields[(4 + Int(fields[2])!)..<(4 + Int(fields[2])! + Int(fields[3])!)])
      }
      #expect(Set(blobs).count == blobs.count, "every blob is produced once, under its own name")
    }
  }

  @Test("golden .param: Input, fused activation, Split for a shared blob, params by id")
  func goldenParam() throws {
    try withTemporaryFolder { folder in
      let files = try NCNNTarget().write(model(Self.network), to: folder.file("m"), options: .init())
      #expect(files.map(\.path) == [folder.file("m.param"), folder.file("m.bin")])
      #expect(
        try text(at: folder.file("m.param")) == """
          7767517
          7 8
          Input x 0 1 x 0=4 1=4 2=2
          Convolution Convolution_0 1 1 x r 0=2 1=1 11=1 2=1 12=1 3=1 13=1 4=0 15=0 14=0 16=0 5=1 6=4 9=1
          Split splitncnn_r 1 2 r r_splitncnn_0 r_splitncnn_1
          BinaryOp BinaryOp_2 2 1 r_splitncnn_0 r_splitncnn_1 s 0=0
          Pooling Pooling_3 1 1 s p 0=1 4=1
          Flatten Flatten_4 1 1 p f
          InnerProduct InnerProduct_5 1 1 f y 0=3 1=1 2=6

          """)
      // Tagged weights (4-byte tag + data) for Convolution and InnerProduct, plain biases.
      let convolution = 4 + 4 * 4 + 2 * 4
      let innerProduct = 4 + 6 * 4 + 3 * 4
      #expect(files[1].bytes == Int64(convolution + innerProduct))
    }
  }

  @Test("golden .bin of a convolution: float32 tag 0, float16 tag 0x01306B47, biases plain float32")
  func goldenBin() throws {
    let conv = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 1, 1, 1] x) => (float[1, 2, 1, 1] y) <float[2, 1, 1, 1] w = {1, -2}, float[2] b = {0.5, 0.25}> {
        y = Conv(x, w, b)
      }
      """#)
    let bias: [UInt8] = [0, 0, 0, 0x3F, 0, 0, 0x80, 0x3E]
    let float32: [UInt8] = [0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0]
    let float16: [UInt8] = [0x47, 0x6B, 0x30, 0x01, 0x00, 0x3C, 0x00, 0xC0]
    try withTemporaryFolder { folder in
      try NCNNTarget().write(conv, to: folder.file("f32"), options: .init())
      let written32 = try [UInt8](fileBytes(folder.file("f32.bin")))
      #expect(written32 == float32 + bias)
      try NCNNTarget().write(conv, to: folder.file("f16"), options: .init(float16Weights: true))
      let written16 = try [UInt8](fileBytes(folder.file("f16.bin")))
      #expect(written16 == float16 + bias)
    }
  }

  @Test("Clip fuses as activation 3 with its bounds; floats always carry a point or exponent")
  func clipFusion() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 1, 2, 2] x) => (float[1, 1, 2, 2] y) <float[1, 1, 1, 1] w = {2}, float lo = {0}, float hi = {6}> {
        c = Conv(x, w)
        y = Clip(c, lo, hi)
      }
      """#)
    try withTemporaryFolder { folder in
      try NCNNTarget().write(graph, to: folder.file("m"), options: .init())
      let lines = try text(at: folder.file("m.param")).split(separator: "\n")
      #expect(lines.count == 4)
      #expect(lines[3].hasSuffix("x y 0=1 1=1 11=1 2=1 12=1 3=1 13=1 4=0 15=0 14=0 16=0 5=0 6=1 9=3 -23310=2,0.0,6.0"))
    }
  }

  @Test("the check lists every unsupported node and model problem with its reason")
  func checkListsEveryProblem() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 4] x, float[4, 4] w) => (float[4, 1] y) {
        a = Erf(x)
        b = MatMul(a, w)
        y = Transpose<perm = [1, 0]>(b)
      }
      """#)
    let lines = TargetCheck.problems(in: graph, for: NCNNTarget()).map(\.line)
    #expect(lines.count == 4, "\(lines)")
    #expect(lines[0].contains("input 'w' has shape [4, 4]"))
    #expect(lines[1] == "#0 (Erf): ncnn has no such op")
    #expect(lines[2] == "#1 (MatMul): B (input 1) must be a constant")
    #expect(lines[3].hasPrefix("#2 (Transpose): perm [1, 0] is not supported"))
  }

  @Test("the int8 table: per-channel weight scales and the input scale of each quantizable layer")
  func int8Table() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 1, 2, 2] x) => (float[1, 2, 2, 2] y, float[1, 1, 2, 2] z) <float[2, 1, 1, 1] w = {0.5, -2}, float[1, 1, 1, 1] v = {4}> {
        y = Conv(x, w)
        z = Conv(x, v)
      }
      """#)
    try withTemporaryFolder { folder in
      try NCNNTarget().write(graph, to: folder.file("m"), options: .init(int8Ranges: ["x": .init(min: -4, max: 2)]))
      // x goes to both convolutions through a Split; its range is still found.
      #expect(
        try text(at: folder.file("m.table")) == """
          Convolution_0_param_0 254.000000 63.500000
          Convolution_1_param_0 31.750000
          Convolution_0 31.750000
          Convolution_1 31.750000

          """)
    }
  }

  @Test("int8: calibrated layers get int8 weights (tag 0x000D4B38, padded), 8=int8_scale_term and their scales")
  func int8Network() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 2, 2, 2] x) => (float[1, 2, 2, 2] y, float[1, 2, 2, 2] z) <float[2, 2, 1, 1] w = {0.5, 0.25, -2, 1}, float[2] b = {1, 2}, float[2, 1, 1, 1] d = {0.5, -4}> {
        y = Conv(x, w, b)
        z = Conv<group = 2>(x, d)
      }
      """#)
    try withTemporaryFolder { folder in
      try NCNNTarget().write(graph, to: folder.file("m"), options: .init(int8Ranges: ["x": .init(min: -4, max: 2)]))
      let lines = try text(at: folder.file("m.param")).split(separator: "\n")
      #expect(lines[4].hasSuffix(" 5=1 6=4 8=2"))
      #expect(lines[5].hasPrefix("ConvolutionDepthWise ") && lines[5].hasSuffix(" 6=2 7=2 8=1"))
      let tag: [UInt8] = [0x38, 0x4B, 0x0D, 0x00]
      // w's rows scaled by 127/0.5 and 127/2 (0.25 → 63.5 rounds away from zero); d's groups by 254 and 31.75.
      let convolution = tag + [127, 64, 0x81, 64] + floatBytes([1, 2]) + floatBytes([254, 63.5]) + floatBytes([31.75])
      let depthwise = tag + [127, 0x81, 0, 0] + floatBytes([254, 31.75]) + floatBytes([31.75])
      #expect(try [UInt8](fileBytes(folder.file("m.bin"))) == convolution + depthwise)
    }
  }

  @Test("PRelu becomes PReLU with one slope per channel or one for all; other slope shapes are refused")
  func prelu() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 2, 2, 2] x) => (float[1, 2, 2, 2] y) <float[2, 1, 1] s = {0.25, 0.5}, float[1] t = {0.125}, float[1, 2, 2, 2] p> {
        p = PRelu(x, s)
        y = PRelu(p, t)
      }
      """#)
    try withTemporaryFolder { folder in
      try NCNNTarget().write(graph, to: folder.file("m"), options: .init())
      let lines = try text(at: folder.file("m.param")).split(separator: "\n")
      #expect(lines[3] == "PReLU PReLU_0 1 1 x p 0=2")
      #expect(lines[4] == "PReLU PReLU_1 1 1 p y 0=1")
      #expect(try [UInt8](fileBytes(folder.file("m.bin"))) == floatBytes([0.25, 0.5, 0.125]))
    }
    let lastAxis = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 2, 2, 2] x) => (float[1, 2, 2, 2] y) <float[1, 1, 2] s = {0.25, 0.5}> {
        y = PRelu(x, s)
      }
      """#)
    let lines = TargetCheck.problems(in: lastAxis, for: NCNNTarget()).map(\.line)
    #expect(lines == ["#0 (PRelu): the slope must have one value or one per channel (axis 1) of a 2-D to 4-D input, not shape [1, 1, 2]"])
  }

  /// The little-endian float32 bytes of `values`.
  private func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { [UInt8]($0) } }
  }
}
