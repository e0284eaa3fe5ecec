// Quantized tensors: the QuantizeLinear/DequantizeLinear pairs that stand for TFLite's rounding.

import Foundation
import KilnIR

extension TFLiteGraphBuilder {
  /// The integer type a quantized tensor is stored in; nil when the tensor is not quantized.
  /// int8 and uint8 (and int32 for biases) are what QuantizeLinear and DequantizeLinear take at
  /// opset 17; int16 needs opset 21.
  func quantizedType(of index: Int) throws -> DataType? {
    guard try tensor(index).quantization != nil else { return nil }
    let type = try dataType(of: index)
    guard type != .int16 else {
      throw KilnError.badInput("tensor '\(tensorNames[index])' is quantized to int16, which opset 17 cannot express")
    }
    return [.int8, .uint8, .int32].contains(type) ? type : nil
  }

  /// DequantizeLinear of `stored` with the tensor's scales and zero points along `axis`.
  func dequantize(_ stored: Value, _ quantization: TFLiteQuantization, type: DataType, axis: Int, name: String) -> Value {
    let (scale, zeroPoint) = parameters(quantization, type: type, name: name)
    let attributes = quantization.isPerTensor ? [] : [Attribute("axis", .int(Int64(axis)))]
    return emit("DequantizeLinear", [stored, scale, zeroPoint], attributes, name: name + "_dequantized")
  }

  /// `value` rounded to the tensor's quantization and back: QuantizeLinear then DequantizeLinear.
  func roundTrip(_ value: Value, quantization: TFLiteQuantization, type: DataType, name: String) throws -> Value {
    guard quantization.isPerTensor else {
      throw KilnError.badInput("tensor '\(name)' is an activation quantized per axis, which Kiln does not convert")
    }
    let (scale, zeroPoint) = parameters(quantization, type: type, name: name)
    let stored = emit("QuantizeLinear", [value, scale, zeroPoint], name: name + "_quantized")
    return emit("DequantizeLinear", [stored, scale, zeroPoint], name: name + "_dequantized")
  }

  /// The float value of a graph input: dequantized when quantized, widened when float16.
  func realValue(ofInput input: Value, index: Int) throws -> Value {
    if let type = try quantizedType(of: index), let quantization = try tensor(index).quantization {
      return dequantize(input, quantization, type: type, axis: quantization.axis, name: tensorNames[index])
    }
    if try dataType(of: index) == .float16 {
      return emit("Cast", [input], [Attribute("to", .int(Int64(DataType.float.rawValue)))], name: tensorNames[index] + "_float")
    }
    return input
  }

  /// The value a graph output stores: quantized when the tensor is, narrowed when float16.
  func storedValue(ofOutput value: Value, index: Int) throws -> Value {
    if let type = try quantizedType(of: index), let quantization = try tensor(index).quantization {
      let (scale, zeroPoint) = parameters(quantization, type: type, name: tensorNames[index])
      return emit("QuantizeLinear", [value, scale, zeroPoint], name: tensorNames[index] + "_quantized")
    }
    if try dataType(of: index) == .float16 {
      return emit("Cast", [value], [Attribute("to", .int(Int64(DataType.float16.rawValue)))], name: tensorNames[index] + "_half")
    }
    return value
  }

  /// Scale (float32) and zero point (of the stored type) initializers, scalars when per tensor.
  private func parameters(_ quantization: TFLiteQuantization, type: DataType, name: String) -> (Value, Value) {
    let dims: [Int64] = quantization.isPerTensor ? [] : [Int64(quantization.scales.count)]
    let scales = quantization.scales.withUnsafeBufferPointer { Data(buffer: $0) }
    let scale = initializer(Tensor(dataType: .float, dims: dims, bytes: scales), name: name + "_scale")
    let points = quantization.zeroPoints.isEmpty
      ? Array(repeating: 0, count: quantization.scales.count) : quantization.zeroPoints
    let zeroPoint = initializer(Tensor(dataType: type, dims: dims, bytes: Self.bytes(points, as: type)), name: name + "_zero_point")
    return (scale, zeroPoint)
  }

  /// `values` as little-endian bytes of the integer `type`.
  private static func bytes(_ values: [Int64], as type: DataType) -> Data {
    switch type {
    case .int8: Data(values.map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0)) })
    case .uint8: Data(values.map { UInt8(truncatingIfNeeded: $0) })
    default: Int32.bytes(values)
    }
  }
}

extension FixedWidthInteger {
  /// `values` narrowed to this type, as little-endian bytes.
  fileprivate static func bytes(_ values: [Int64]) -> Data {
    .littleEndian(values.map { Self(truncatingIfNeeded: $0) })
  }
}
