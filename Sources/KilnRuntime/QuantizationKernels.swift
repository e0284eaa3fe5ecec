// Linear quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, integer matmuls.

import CKilnKernels
import KilnIR

extension KernelFamily {
  /// QuantizeLinear and DequantizeLinear (per-tensor, or per-axis with a 1-D scale from opset
  /// 13; 8- and 16-bit integers; round half to even and saturate), DynamicQuantizeLinear (uint8),
  /// MatMulInteger and QLinearMatMul (zero points and scales per tensor, per row of A or per
  /// column of B; batch dims broadcast), ConvInteger and QLinearConv (N-d, grouped, pads,
  /// strides, dilations, auto_pad; weight zero point and scale per tensor or per channel).
  static let quantization = KernelFamily { registry in
    registry.register("QuantizeLinear", quantizeKernel)
    registry.register("DequantizeLinear", dequantizeKernel)
    registry.register("DynamicQuantizeLinear", dynamicQuantizeKernel)
    registry.register("MatMulInteger", matMulIntegerKernel)
    registry.register("QLinearMatMul", qLinearMatMulKernel)
    registry.register("ConvInteger", convIntegerKernel)
    registry.register("QLinearConv", qLinearConvKernel)
  }

  private static let quantizedTypes: [DataType] = [.uint8, .int8, .uint16, .int16]

  private static func quantizeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let zeroPoint = invocation.optionalInput(2)
    let outputType = try zeroPoint?.dataType ?? outputDataType(invocation)
    guard quantizedTypes.contains(outputType) else {
      throw invocation.failure("cannot quantize to \(outputType.name)")
    }
    let parameters = try QuantizationParameters(
      data: data, scale: try invocation.input(1), zeroPoint: zeroPoint, invocation)
    if data.dataType == .float {
      switch outputType {
      case .int8: return [try quantizeFloatsTo8Bits(data, parameters, signed: true)]
      case .uint8: return [try quantizeFloatsTo8Bits(data, parameters, signed: false)]
      default: break
      }
    }
    let values = try invocation.doubleValues(of: data).enumerated().map { index, value in
      let (scale, zero) = parameters[index]
      return Double(Float(value) / Float(scale)).rounded(.toNearestOrEven) + zero
    }
    return [try HostTensor.narrowing(values, to: outputType, shape: data.shape)]
  }

  /// float32 `data` quantized to int8 (`signed`) or uint8 in one vectorized pass
  /// (`kiln_quantize_8bit`), with the rounding (half to even of the float quotient), saturation
  /// and NaN-to-0 of the general path: the common QDQ case.
  private static func quantizeFloatsTo8Bits(
    _ data: HostTensor, _ parameters: QuantizationParameters, signed: Bool
  ) throws -> HostTensor {
    let output = try HostTensor(uninitialized: signed ? .int8 : .uint8, shape: data.shape)
    let source = data.buffer.pointer.assumingMemoryBound(to: Float.self), target = output.buffer.pointer
    parameters.forEachRun(count: data.elementCount) { range, scale, zero in
      kiln_quantize_8bit(
        source + range.lowerBound, range.count, Float(scale), Float(zero), signed, target + range.lowerBound)
    }
    return output
  }

  /// `T` `data` dequantized to float32 in one typed pass, as the general path computes it.
  private static func dequantizeToFloats<T: FixedWidthInteger & TensorElement>(
    _ data: HostTensor, _ parameters: QuantizationParameters, from type: T.Type
  ) throws -> HostTensor {
    let output = try HostTensor(uninitialized: .float, shape: data.shape)
    let source = data.elements(as: T.self), target = output.mutableElements(as: Float.self)
    parameters.forEachRun(count: source.count) { range, scale, zero in
      let scale = Float(scale)
      for index in range { target[index] = Float(Double(source[index]) - zero) * scale }
    }
    return output
  }

  private static func outputDataType(_ invocation: KernelInvocation) throws -> DataType {
    let code = invocation.int("output_dtype", default: 0)
    guard code != 0 else { return .uint8 }
    guard let raw = Int32(exactly: code) else {
      throw invocation.failure("output_dtype \(code) is not a known type")
    }
    return DataType(rawValue: raw)
  }

  private static func dequantizeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let scale = try invocation.input(1)
    guard [.float, .double, .float16].contains(scale.dataType) else {
      throw invocation.failure("scale must be floating point, not \(scale.dataType.name)")
    }
    let parameters = try QuantizationParameters(
      data: data, scale: scale, zeroPoint: invocation.optionalInput(2), invocation)
    if scale.dataType == .float {
      switch data.dataType {
      case .int8: return [try dequantizeToFloats(data, parameters, from: Int8.self)]
      case .uint8: return [try dequantizeToFloats(data, parameters, from: UInt8.self)]
      case .int32: return [try dequantizeToFloats(data, parameters, from: Int32.self)]
      default: break
      }
    }
    let values = try invocation.doubleValues(of: data).enumerated().map { index, value in
      let (scale, zero) = parameters[index]
      return Double(Float(value - zero) * Float(scale))
    }
    return [try HostTensor.narrowing(values, to: scale.dataType, shape: data.shape)]
  }

  private static func dynamicQuantizeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    let values = try invocation.doubleValues(of: data).map { Float($0) }
    let low = min(0, values.min() ?? 0), high = max(0, values.max() ?? 0)
    let scale = (high - low) / 255
    let rawZero = (0 - low / scale).rounded(.toNearestOrEven)
    // A constant input (scale 0) or a NaN in it leaves no meaningful zero point: use 0.
    let zero = rawZero.isNaN || scale == 0 ? 0 : rawZero.clamped(0, 255)
    let quantized = values.map { value in
      scale == 0 ? Double(zero) : Double((value / scale).rounded(.toNearestOrEven) + zero)
    }
    return [
      try HostTensor.narrowing(quantized, to: .uint8, shape: data.shape),
      try HostTensor(scalar: scale),
      try HostTensor(scalar: UInt8(zero)),
    ]
  }

  private static func matMulIntegerKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let product = try IntegerProduct(
      a: try invocation.input(0), b: try invocation.input(1),
      aZero: invocation.optionalInput(2), bZero: invocation.optionalInput(3), invocation)
    return [try HostTensor.narrowing(product.values, to: .int32, shape: product.shape)]
  }

  private static func qLinearMatMulKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let product = try IntegerProduct(
      a: try invocation.input(0), b: try invocation.input(3),
      aZero: try invocation.input(2), bZero: try invocation.input(5), invocation)
    let aScale = try parameterValues(try invocation.input(1), count: product.rows, invocation)
    let bScale = try parameterValues(try invocation.input(4), count: product.columns, invocation)
    return [try requantize(product.values, shape: product.shape, invocation, outputAt: (6, 7)) { index in
      let (row, column) = product.position(index)
      return Float(aScale[row]) * Float(bScale[column])
    }]
  }

  /// Integer sums scaled by `inputScale(index) / y_scale`, rounded half to even, offset by
  /// y_zero_point and saturated to its type; y_scale and y_zero_point are inputs `outputAt`.
  fileprivate static func requantize(
    _ sums: [Double], shape: [Int], _ invocation: KernelInvocation, outputAt: (scale: Int, zero: Int),
    inputScale: (Int) -> Float
  ) throws -> HostTensor {
    let yScale = try invocation.doubleValues(of: invocation.input(outputAt.scale))
    let yZeroPoint = try invocation.input(outputAt.zero)
    guard yScale.count == 1, let outScale = yScale.first.map(Float.init),
      let outZero = try invocation.doubleValues(of: yZeroPoint).first, yZeroPoint.elementCount == 1
    else { throw invocation.failure("y_scale and y_zero_point must be single values") }
    let values = sums.enumerated().map { index, sum in
      Double((Float(sum) * (inputScale(index) / outScale)).rounded(.toNearestOrEven)) + outZero
    }
    return try HostTensor.narrowing(values, to: yZeroPoint.dataType, shape: shape)
  }
}

extension Float {
  fileprivate func clamped(_ low: Float, _ high: Float) -> Float { Swift.min(Swift.max(self, low), high) }
}

/// A zero point, scale or bias given once or once per row, column or channel: its value
/// repeated `count` times, or its `count` values.
private func parameterValues(_ tensor: HostTensor, count: Int, _ invocation: KernelInvocation) throws -> [Double] {
  let values = try invocation.doubleValues(of: tensor)
  if values.count == 1 { return [Double](repeating: values[0], count: count) }
  guard values.count == count, tensor.rank <= 1 else {
    throw invocation.failure("a zero point, scale or bias has \(values.count) values where 1 or \(count) fit")
  }
  return values
}

/// The scale and zero point that apply to each element: one pair for the whole tensor, or
/// one per index along `axis` when the scale is 1-D with more than one element.
private struct QuantizationParameters {
  let scales: [Double]
  let zeros: [Double]
  let inner: Int

  init(data: HostTensor, scale: HostTensor, zeroPoint: HostTensor?, _ invocation: KernelInvocation) throws {
    scales = try invocation.doubleValues(of: scale)
    zeros = try zeroPoint.map { try invocation.doubleValues(of: $0) } ?? [0]
    guard invocation.int("block_size", default: 0) == 0 else {
      throw invocation.failure("blocked quantization is not supported")
    }
    if scales.count == 1 && scale.rank <= 1 {
      inner = 0
      guard zeros.count == 1 else { throw invocation.failure("zero point must match the scale's shape") }
      return
    }
    let axis = try invocation.axis(invocation.int("axis", default: 1), rank: data.rank)
    guard scale.rank == 1, scales.count == data.shape[axis], zeros.count == scales.count || zeroPoint == nil
    else { throw invocation.failure("scale and zero point must be 1-D of the axis length \(data.shape[axis])") }
    inner = Lanes(shape: data.shape, axis: axis).inner
  }

  /// Calls `body` with each run of consecutive elements (of `count`) that share a scale and a
  /// zero point.
  func forEachRun(count: Int, _ body: (Range<Int>, Double, Double) -> Void) {
    guard inner > 0 else { return body(0..<count, scales[0], zeros[0]) }
    for start in stride(from: 0, to: count, by: inner) {
      let (scale, zero) = self[start]
      body(start..<min(start + inner, count), scale, zero)
    }
  }

  subscript(index: Int) -> (scale: Double, zero: Double) {
    guard inner > 0 else { return (scales[0], zeros[0]) }
    let channel = (index / inner) % scales.count
    return (scales[channel], zeros.count == 1 ? zeros[0] : zeros[channel])
  }
}

/// The integer matrix product of A and B less their zero points (per tensor, per row of A, per
/// column of B), with numpy matmul's 1-D promotion and batch broadcasting. Sums are exact in
/// Double for any 8- or 16-bit inputs of sane size.
private struct IntegerProduct {
  let values: [Double]
  let shape: [Int]
  let rows: Int
  let columns: Int

  init(a: HostTensor, b: HostTensor, aZero: HostTensor?, bZero: HostTensor?, _ invocation: KernelInvocation) throws {
    guard a.rank >= 1, b.rank >= 1 else { throw invocation.failure("matmul inputs must have rank 1 or more") }
    let aShape = a.rank == 1 ? [1] + a.shape : a.shape
    let bShape = b.rank == 1 ? b.shape + [1] : b.shape
    let (m, k) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
    let (kB, n) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
    guard k == kB else { throw invocation.failure("inner dimensions \(k) and \(kB) differ") }
    let batch = try Self.broadcast(Array(aShape.dropLast(2)), Array(bShape.dropLast(2)), invocation)
    rows = m
    columns = n
    let aValues = try invocation.doubleValues(of: a), bValues = try invocation.doubleValues(of: b)
    let aZeros = try aZero.map { try parameterValues($0, count: m, invocation) } ?? [Double](repeating: 0, count: m)
    let bZeros = try bZero.map { try parameterValues($0, count: n, invocation) } ?? [Double](repeating: 0, count: n)
    let aOffsets = Self.batchOffsets(batch, Array(aShape.dropLast(2)), matrixSize: m * k)
    let bOffsets = Self.batchOffsets(batch, Array(bShape.dropLast(2)), matrixSize: k * n)
    var result = [Double](repeating: 0, count: try HostTensor.elementCount(of: batch + [m, n]))
    for (index, (aBase, bBase)) in zip(aOffsets, bOffsets).enumerated() {
      for row in 0..<m {
        for column in 0..<n {
          var sum = 0.0
          for inner in 0..<k {
            sum += (aValues[aBase + row * k + inner] - aZeros[row]) * (bValues[bBase + inner * n + column] - bZeros[column])
          }
          result[(index * m + row) * n + column] = sum
        }
      }
    }
    values = result
    shape = batch + (a.rank == 1 ? [] : [m]) + (b.rank == 1 ? [] : [n])
  }

  /// The (row, column) of output element `index`.
  func position(_ index: Int) -> (Int, Int) { ((index / columns) % rows, index % columns) }


  private static func broadcast(_ a: [Int], _ b: [Int], _ invocation: KernelInvocation) throws -> [Int] {
    let rank = max(a.count, b.count)
    let left = [Int](repeating: 1, count: rank - a.count) + a
    let right = [Int](repeating: 1, count: rank - b.count) + b
    return try zip(left, right).map { x, y in
      guard x == y || x == 1 || y == 1 else { throw invocation.failure("batch dims \(a) and \(b) do not broadcast") }
      return x == 1 ? y : x
    }
  }

  /// For each batch position of `batch`, the offset of the matching matrix of an operand whose
  /// batch dims are `own` (broadcast: size-1 dims repeat).
  private static func batchOffsets(_ batch: [Int], _ own: [Int], matrixSize: Int) -> [Int] {
    let padded = [Int](repeating: 1, count: batch.count - own.count) + own
    let strides = HostTensor.strides(of: padded).enumerated().map { padded[$0] == 1 ? 0 : $1 }
    let total = batch.reduce(1, *)
    return (0..<total).map { flat in
      var remainder = flat, offset = 0
      for axis in batch.indices.reversed() {
        offset += (remainder % batch[axis]) * strides[axis]
        remainder /= batch[axis]
      }
      return offset * matrixSize
    }
  }
}

extension KernelFamily {
  fileprivate static func convIntegerKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let convolution = try IntegerConvolution(
      x: try invocation.input(0), w: try invocation.input(1),
      xZero: invocation.optionalInput(2), wZero: invocation.optionalInput(3), bias: nil, invocation)
    return [try HostTensor.narrowing(convolution.values, to: .int32, shape: convolution.shape)]
  }

  fileprivate static func qLinearConvKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let convolution = try IntegerConvolution(
      x: try invocation.input(0), w: try invocation.input(3),
      xZero: try invocation.input(2), wZero: try invocation.input(5), bias: invocation.optionalInput(8), invocation)
    let xScale = try parameterValues(try invocation.input(1), count: 1, invocation)[0]
    let wScale = try parameterValues(try invocation.input(4), count: convolution.channels, invocation)
    return [try requantize(convolution.values, shape: convolution.shape, invocation, outputAt: (6, 7)) { index in
      Float(xScale) * Float(wScale[convolution.channel(of: index)])
    }]
  }
}

/// An N-d grouped convolution of integer tensors less their zero points (x per tensor, w per
/// tensor or per output channel), with pads, strides, dilations and auto_pad, plus an optional
/// per-channel bias.
private struct IntegerConvolution {
  let values: [Double]
  let shape: [Int]
  let channels: Int
  private let spatialCount: Int

  init(x: HostTensor, w: HostTensor, xZero: HostTensor?, wZero: HostTensor?, bias: HostTensor?, _ invocation: KernelInvocation) throws {
    let rank = x.rank - 2
    guard rank >= 1, w.rank == x.rank else { throw invocation.failure("x and w must have the same rank, 3 or more") }
    let group = invocation.int("group", default: 1)
    let (batch, inChannels, outChannels) = (x.shape[0], x.shape[1], w.shape[0])
    let (groupedChannels, overflow) = w.shape[1].multipliedReportingOverflow(by: group)
    guard group >= 1, !overflow, inChannels == groupedChannels, outChannels % group == 0 else {
      throw invocation.failure("channels \(inChannels) and weights \(w.shape) do not fit group \(group)")
    }
    let geometry = try WindowGeometry(invocation, input: Array(x.shape[2...]), kernel: Array(w.shape[2...]))
    channels = outChannels
    spatialCount = geometry.outputCount
    shape = [batch, outChannels] + geometry.output
    let xZeroValue = try xZero.map { try parameterValues($0, count: 1, invocation)[0] } ?? 0
    let wZeros = try wZero.map { try parameterValues($0, count: outChannels, invocation) } ?? [Double](repeating: 0, count: outChannels)
    let biases = try bias.map { try parameterValues($0, count: outChannels, invocation) } ?? [Double](repeating: 0, count: outChannels)
    let xValues = try invocation.doubleValues(of: x), wValues = try invocation.doubleValues(of: w)
    let groupIn = inChannels / group, groupOut = outChannels / group
    let (inputSize, kernelSize) = (geometry.inputCount, geometry.kernelCount)
    let (segments, step) = (geometry.segments(), geometry.segmentStep)
    var result = [Double](repeating: 0, count: try HostTensor.elementCount(of: shape))
    for n in 0..<batch {
      for m in 0..<outChannels {
        let firstChannel = (m / groupOut) * groupIn, target = (n * outChannels + m) * spatialCount
        for position in 0..<spatialCount { result[target + position] = biases[m] }
        for c in 0..<groupIn {
          let source = (n * inChannels + firstChannel + c) * inputSize
          let weights = (m * groupIn + c) * kernelSize
          for segment in segments {
            let weight = wValues[weights + segment.tap] - wZeros[m]
            for i in 0..<segment.count {
              let xv = xValues[source + segment.input + i * step] - xZeroValue
              result[target + segment.output + i] += xv * weight
            }
          }
        }
      }
    }
    values = result
  }

  /// The output channel of output element `index`.
  func channel(of index: Int) -> Int { (index / spatialCount) % channels }

}
