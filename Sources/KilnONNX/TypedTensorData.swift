// Converting between ONNX's typed tensor fields (float_data, int32_data, ...) and raw bytes.

import Foundation
import KilnIR
import ONNXProto

/// ONNX lets a tensor keep its elements in a typed repeated field instead of `raw_data`. The
/// IR always holds raw little-endian bytes; these functions convert both ways, so a tensor that
/// came in typed goes out typed.
enum TypedTensorData {
  /// The raw bytes for the typed fields of `tensor`.
  static func rawBytes(of tensor: Onnx_TensorProto, dataType: DataType) throws -> Data {
    if tensor.floatData.isEmpty && tensor.int32Data.isEmpty && tensor.int64Data.isEmpty
      && tensor.doubleData.isEmpty && tensor.uint64Data.isEmpty
    {
      return Data()
    }
    switch dataType {
    case .float, .complex64: return bytes(of: tensor.floatData)
    case .double, .complex128: return bytes(of: tensor.doubleData)
    case .int64: return bytes(of: tensor.int64Data)
    case .uint32: return bytes(of: tensor.uint64Data.map { UInt32(truncatingIfNeeded: $0) })
    case .uint64: return bytes(of: tensor.uint64Data)
    case .int32: return bytes(of: tensor.int32Data)
    case .int16, .uint16, .float16, .bfloat16:
      return bytes(of: tensor.int32Data.map { UInt16(truncatingIfNeeded: $0) })
    default:
      guard dataType.bitWidth > 0, dataType.bitWidth <= 8, dataType.bitWidth != 6 else {
        throw KilnError.badInput(
          "tensor '\(tensor.name)' of type \(dataType.name) uses typed fields Kiln cannot read",
          hint: "store this tensor in raw_data")
      }
      // 8-bit types hold one element per int32; 4- and 2-bit types one packed byte per int32.
      return Data(tensor.int32Data.map { UInt8(truncatingIfNeeded: $0) })
    }
  }

  /// Fills the typed field of `tensor` that ONNX uses for `dataType` from raw bytes.
  static func setTypedFields(_ tensor: inout Onnx_TensorProto, dataType: DataType, raw: Data)
    throws
  {
    switch dataType {
    case .float, .complex64: tensor.floatData = values(raw, as: Float.self)
    case .double, .complex128: tensor.doubleData = values(raw, as: Double.self)
    case .int64: tensor.int64Data = values(raw, as: Int64.self)
    case .uint32: tensor.uint64Data = values(raw, as: UInt32.self).map(UInt64.init)
    case .uint64: tensor.uint64Data = values(raw, as: UInt64.self)
    case .int32: tensor.int32Data = values(raw, as: Int32.self)
    case .int16: tensor.int32Data = values(raw, as: Int16.self).map(Int32.init)
    case .uint16, .float16, .bfloat16: tensor.int32Data = values(raw, as: UInt16.self).map(Int32.init)
    case .int8: tensor.int32Data = raw.map { Int32(Int8(bitPattern: $0)) }
    default:
      guard dataType.bitWidth > 0, dataType.bitWidth <= 8, dataType.bitWidth != 6 else {
        throw KilnError.internalError("cannot write \(dataType.name) tensor '\(tensor.name)' as typed fields")
      }
      tensor.int32Data = raw.map { Int32($0) }
    }
  }

  private static func bytes<T>(of values: [T]) -> Data {
    values.withUnsafeBytes { Data($0) }
  }

  private static func values<T>(_ raw: Data, as type: T.Type) -> [T] {
    let count = raw.count / MemoryLayout<T>.stride
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      raw.withUnsafeBytes { source in
        if let target = buffer.baseAddress, let start = source.baseAddress, count > 0 {
          memcpy(target, start, count * MemoryLayout<T>.stride)
        }
      }
      initialized = count
    }
  }
}
