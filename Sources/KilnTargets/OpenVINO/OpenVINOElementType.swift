// The element types an OpenVINO IR port or constant can have, in the IR's two spellings.

import KilnIR

/// An OpenVINO element type: `element_type` in a Parameter's or Const's data (`f32`) and
/// `precision` on a port (`FP32`).
enum OpenVINOElementType: String, Sendable {
  case f32, f16, f64, i64, i32, i8, u8, boolean

  /// The type of ONNX's `dataType`; nil for one the target does not write.
  init?(_ dataType: DataType) {
    switch dataType {
    case .float: self = .f32
    case .float16: self = .f16
    case .double: self = .f64
    case .int64: self = .i64
    case .int32: self = .i32
    case .int8: self = .i8
    case .uint8: self = .u8
    case .bool: self = .boolean
    default: return nil
    }
  }

  /// The spelling of a port's `precision`.
  var precision: String {
    switch self {
    case .f32: "FP32"
    case .f16: "FP16"
    case .f64: "FP64"
    case .i64: "I64"
    case .i32: "I32"
    case .i8: "I8"
    case .u8: "U8"
    case .boolean: "BOOL"
    }
  }
}
