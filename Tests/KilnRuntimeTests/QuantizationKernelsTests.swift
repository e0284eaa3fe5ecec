// Linear quantization: rounding, saturation, per-axis parameters, integer matmuls.

import Foundation
import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

@Test func quantizeRoundsHalfToEvenAndSaturates() throws {
  let data = try HostTensor(shape: [5], values: [Float(0), 2, 3, 1000, -1000])
  let scale = try HostTensor(scalar: Float(2))
  let zero = try HostTensor(scalar: UInt8(128))
  let result = try kernelOutputs("QuantizeLinear", opset: 13, [data, scale, zero])
  #expect(result[0]?.scalars(as: UInt8.self) == [128, 129, 130, 255, 0])
  let signed = try kernelOutputs("QuantizeLinear", opset: 13, [data, scale, try HostTensor(scalar: Int8(0))])
  #expect(signed[0]?.scalars(as: Int8.self) == [0, 1, 2, 127, -128])
  #expect(try kernelOutputs("QuantizeLinear", opset: 10, [data, scale])[0]?.dataType == .uint8)
}

/// The float32 → 8-bit path (vectorized in C) gives what the general path gives for the same
/// values as float64: ties, saturation far beyond the type, NaN and infinities, over a length
/// with vector tails.
@Test(arguments: [true, false])
func quantizingFloatsTo8BitsMatchesTheGeneralPath(signed: Bool) throws {
  var generator = SplitMix64(seed: 11)
  var values = (0..<1001).map { _ in Float(Double.random(in: -300..<300, using: &generator)).rounded() / 2 }
  values[3] = .nan
  values[4] = .infinity
  values[5] = -.infinity
  values[6] = 1e30
  values[7] = -0.5
  let scale = try HostTensor(scalar: Float(0.75))
  let zero = signed ? try HostTensor(scalar: Int8(-3)) : try HostTensor(scalar: UInt8(131))
  let fast = try kernelOutputs("QuantizeLinear", opset: 13, [try HostTensor(shape: [1001], values: values), scale, zero])
  let general = try kernelOutputs(
    "QuantizeLinear", opset: 19, [try HostTensor(shape: [1001], values: values.map(Double.init)), scale, zero])
  let type = signed ? DataType.int8 : .uint8
  #expect(fast[0]?.dataType == type && general[0]?.dataType == type)
  if signed {
    #expect(fast[0]?.scalars(as: Int8.self) == general[0]?.scalars(as: Int8.self))
  } else {
    #expect(fast[0]?.scalars(as: UInt8.self) == general[0]?.scalars(as: UInt8.self))
  }
}

@Test func quantizeAndDequantizePerAxis() throws {
  let data = try HostTensor(shape: [1, 2, 2], values: [Float(2), 4, 30, 60])
  let scales = try HostTensor(shape: [2], values: [Float(2), 10])
  let zeros = try HostTensor(shape: [2], values: [UInt8(1), 3])
  let quantized = try kernelOutputs("QuantizeLinear", opset: 13, [data, scales, zeros])
  #expect(quantized[0]?.scalars(as: UInt8.self) == [2, 3, 6, 9])
  let back = try kernelOutputs("DequantizeLinear", opset: 13, [quantized[0], scales, zeros])
  #expect(back[0]?.scalars(as: Float.self) == [2, 4, 30, 60])
  #expect(throws: KilnError.self) {
    try kernelOutputs("DequantizeLinear", opset: 13, [quantized[0], try HostTensor(shape: [3], values: [Float(1), 1, 1])])
  }
}

@Test func dynamicQuantizeFindsScaleAndZeroPoint() throws {
  let data = try HostTensor(shape: [3], values: [Float(0), 2, -1])
  let result = try kernelOutputs("DynamicQuantizeLinear", opset: 11, [data])
  #expect(result[1]?.scalars(as: Float.self) == [Float(3) / 255])
  #expect(result[2]?.scalars(as: UInt8.self) == [85])
  #expect(result[0]?.scalars(as: UInt8.self) == [85, 255, 0])
}

@Test func matMulIntegerSubtractsZeroPointsAndBroadcastsBatches() throws {
  let a = try HostTensor(shape: [2, 2], values: [UInt8(11), 12, 13, 14])
  let b = try HostTensor(shape: [2, 2, 1], values: [UInt8(1), 2, 3, 4])
  let result = try kernelOutputs("MatMulInteger", opset: 10, [a, b, try HostTensor(scalar: UInt8(10)), nil])
  #expect(result[0]?.shape == [2, 2, 1])
  #expect(result[0]?.scalars(as: Int32.self) == [5, 11, 11, 25])
  #expect(throws: KilnError.self) { try kernelOutputs("MatMulInteger", opset: 10, [a, try HostTensor(shape: [3], values: [UInt8(1), 2, 3])]) }
}

@Test func qLinearMatMulRescalesIntoTheOutputType() throws {
  let a = try HostTensor(shape: [1, 2], values: [UInt8(2), 4])
  let b = try HostTensor(shape: [2, 1], values: [UInt8(3), 5])
  let one = try HostTensor(scalar: Float(1)), zero = try HostTensor(scalar: UInt8(0))
  let result = try kernelOutputs(
    "QLinearMatMul", opset: 10, [a, one, zero, b, try HostTensor(scalar: Float(0.5)), zero, try HostTensor(scalar: Float(2)), try HostTensor(scalar: UInt8(1))])
  #expect(result[0]?.scalars(as: UInt8.self) == [7])
}

@Test func convIntegerSlidesTheWindowLessZeroPoints() throws {
  let x = try HostTensor(shape: [1, 1, 3, 3], values: (1...9).map { UInt8($0) })
  let w = try HostTensor(shape: [1, 1, 2, 2], values: [UInt8](repeating: 1, count: 4))
  let result = try kernelOutputs("ConvInteger", opset: 10, [x, w, try HostTensor(scalar: UInt8(1))])
  #expect(result[0]?.shape == [1, 1, 2, 2])
  #expect(result[0]?.scalars(as: Int32.self) == [8, 12, 20, 24])
  let padded = try kernelOutputs(
    "ConvInteger", opset: 10, [x, w], attributes: [Attribute("pads", .ints([1, 1, 0, 0])), Attribute("strides", .ints([2, 2]))])
  #expect(padded[0]?.scalars(as: Int32.self) == [1, 5, 11, 28])
  #expect(throws: KilnError.self) {
    try kernelOutputs("ConvInteger", opset: 10, [x, try HostTensor(shape: [1, 4], values: [UInt8](repeating: 1, count: 4))])
  }
}

@Test func qLinearConvRescalesIntoTheOutputType() throws {
  let x = try HostTensor(shape: [1, 1, 1, 2], values: [UInt8(2), 4])
  let w = try HostTensor(shape: [1, 1, 1, 1], values: [UInt8(3)])
  let zero = try HostTensor(scalar: UInt8(0))
  let result = try kernelOutputs(
    "QLinearConv", opset: 10,
    [x, try HostTensor(scalar: Float(1)), zero, w, try HostTensor(scalar: Float(0.5)), zero,
     try HostTensor(scalar: Float(2)), try HostTensor(scalar: UInt8(1))])
  #expect(result[0]?.scalars(as: UInt8.self) == [3, 4])
}

@Test func hostileQuantizationInputsAreErrorsNotCrashes() throws {
  let nan = try kernelOutputs("DynamicQuantizeLinear", opset: 11, [try HostTensor(shape: [2], values: [Float.nan, 1])])
  #expect(nan[2]?.elementCount == 1)
  let x = try HostTensor(shape: [1, 1, 2, 2], values: [UInt8](repeating: 1, count: 4))
  #expect(throws: KilnError.self) {
    try kernelOutputs("ConvInteger", opset: 10, [x, x], attributes: [Attribute("group", .int(Int64.max))])
  }
  #expect(throws: KilnError.self) {
    try kernelOutputs("ConvInteger", opset: 10, [x, x], attributes: [Attribute("dilations", .ints([Int64.max, 1]))])
  }
  #expect(throws: KilnError.self) {
    try kernelOutputs("QuantizeLinear", opset: 21, [try HostTensor(scalar: Float(1)), try HostTensor(scalar: Float(1))], attributes: [Attribute("output_dtype", .int(Int64.max))])
  }
}

/// DequantizeLinear of a weight (initializers only) and of a fed input, both added to `x`.
private func dequantizingModel() -> Model {
  let builder = GraphBuilder()
  let x = builder.input("x", "float32[2]")
  let q = builder.input("q", "int8[2]")
  let weight = builder.initializer(Tensor(dataType: .int8, dims: [2], bytes: Data([0x02, 0xFE])), name: "w")
  let scale = builder.constant("s", [0.5], dims: [])
  let dequantizedWeight = builder.op("DequantizeLinear", weight, scale, output: "w_dq")
  let dequantizedInput = builder.op("DequantizeLinear", q, scale, output: "q_dq")
  builder.output(builder.op("Add", builder.op("Add", x, dequantizedWeight, output: "a"), dequantizedInput, output: "y"))
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: builder.graph)
}

@Test func aDequantizedWeightIsKeptButAFedInputIsDequantizedEachRun() throws {
  let executor = try Executor(model: dequantizingModel())
  let x = try HostTensor(shape: [2], values: [Float(10), 20])
  for (q, expected) in [([Int8(2), 4], [Float(12), 21]), ([Int8(-6), 0], [Float(8), 19])] {
    let outputs = try executor.run(["x": x, "q": try HostTensor(shape: [2], values: q)])
    #expect(outputs["y"]?.scalars(as: Float.self) == expected)
  }
}
