// Exporting tensors: a header message plus raw bytes that are streamed from their storage.

import Foundation
import KilnIR
import ONNXProto

/// A tensor ready to be written: its message without `raw_data`, and the tensor whose raw
/// bytes go into `raw_data` (or into an external-data file), when it uses raw data.
struct TensorPiece {
  var header: Onnx_TensorProto
  /// The tensor whose raw bytes still have to be written, or nil when the header holds all.
  var rawSource: Tensor?
  /// Whether the raw bytes go to an external-data file rather than into `raw_data`.
  var isExternal = false

  /// The number of raw bytes to write.
  var rawLength: Int { rawSource.map { Int($0.byteCount) } ?? 0 }

  /// The full message with the raw bytes inline (reads them into memory).
  func inlineMessage() throws -> Onnx_TensorProto {
    var message = header
    if let rawSource { message.rawData = try rawSource.rawData() }
    return message
  }
}

extension ONNXExporter {
  /// Prepares `tensor` for writing under `name`, in the encoding its origin used.
  func tensorPiece(_ tensor: Tensor, name: String) throws -> TensorPiece {
    let origin = tensor.origin?.payload as? TensorOrigin
    var header = origin?.header ?? Onnx_TensorProto()
    patch(&header, \.name, name)
    patch(&header, \.dataType, tensor.dataType.rawValue)
    patch(&header, \.dims, tensor.dims)
    patch(&header, \.docString, tensor.docString)
    if header.dataLocation == .external {
      header.clearDataLocation()
    }
    header.externalData = []
    if case .strings(let items) = tensor.storage {
      header.stringData = items
      return TensorPiece(header: header, rawSource: nil)
    }
    if let origin, !origin.usedRawData {
      try TypedTensorData.setTypedFields(&header, dataType: tensor.dataType, raw: try tensor.rawData())
      return TensorPiece(header: header, rawSource: nil)
    }
    return TensorPiece(header: header, rawSource: tensor)
  }
}

extension TensorPiece {
  /// Turns this piece into one whose bytes live at `offset` in the external file `location`.
  mutating func moveToExternal(location: String, offset: Int64) {
    isExternal = true
    header.dataLocation = .external
    header.externalData = [
      ("location", location), ("offset", String(offset)), ("length", String(rawLength)),
    ].map { key, value in
      var entry = Onnx_StringStringEntryProto()
      entry.key = key
      entry.value = value
      return entry
    }
  }
}
