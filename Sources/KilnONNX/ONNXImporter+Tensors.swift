// Importing tensors: raw bytes in place, typed fields converted, external data resolved.

import Foundation
import KilnIR
import ONNXProto

extension ONNXImporter {
  /// Builds an IR tensor from a tensor message whose raw data may still be in the file.
  func importTensor(_ parts: TensorParts) throws -> Tensor {
    var header = parts.header
    let dataType = DataType(rawValue: header.dataType)
    let storage = try tensorStorage(parts, dataType: dataType)
    let usedRawData = parts.rawData != nil || storage.isExternalReference
    clearData(&header)
    let tensor = Tensor(
      name: header.name, dataType: dataType, dims: header.dims, storage: storage,
      docString: header.docString,
      origin: SourceRecord(TensorOrigin(header: header, usedRawData: usedRawData)))
    guard tensor.checkedElementCount != nil else {
      throw KilnError.badInput(
        "tensor '\(header.name)' has invalid dimensions \(header.dims) (negative, or too many elements)",
        file: file, hint: "the model file may be corrupt")
    }
    if dataType.isKnown {
      do {
        try tensor.validateSize()
      } catch let error as KilnError {
        guard case .external(let reference) = storage else { throw error }
        throw KilnError.badInput(
          error.message + " in external data '\(reference.location)'", file: file,
          hint: "the external-data file may be truncated, or its offset or length wrong")
      }
    }
    return tensor
  }

  /// Builds an IR tensor from a fully decoded message (tensor attributes, subgraph weights).
  func importTensor(_ message: Onnx_TensorProto) throws -> Tensor {
    var header = message
    header.clearRawData()
    return try importTensor(
      TensorParts(header: header, rawData: message.hasRawData ? .bytes(message.rawData) : nil))
  }

  private func tensorStorage(_ parts: TensorParts, dataType: DataType) throws -> TensorStorage {
    let header = parts.header
    if header.dataLocation == .external {
      return .external(try externalData(header))
    }
    if dataType == .string {
      return .strings(header.stringData)
    }
    if let raw = parts.rawData {
      return raw
    }
    do {
      return .bytes(try TypedTensorData.rawBytes(of: header, dataType: dataType))
    } catch let error as KilnError {
      throw error.inFile(file)
    }
  }

  private func externalData(_ header: Onnx_TensorProto) throws -> ExternalData {
    var location: String?
    var offset: Int64 = 0
    var length: Int64?
    for entry in header.externalData {
      switch entry.key {
      case "location": location = entry.value
      case "offset": offset = try externalNumber(entry, tensor: header.name)
      case "length": length = try externalNumber(entry, tensor: header.name)
      default: continue
      }
    }
    guard let location else {
      throw KilnError.badInput(
        "tensor '\(header.name)' is marked external but has no location", file: file)
    }
    let path = try resolver.resolve(location, tensor: header.name)
    var reference = ExternalData(location: location, path: path, offset: offset, length: length)
    do {
      // The extent is made explicit so that the tensor's size is checked against its dims.
      reference.length = Int64(try reference.map().1.count)
    } catch let error as KilnError {
      let detail =
        error.message.contains("'\(location)'")
        ? error.message : "external data '\(location)': \(error.message)"
      throw KilnError.badInput("tensor '\(header.name)': " + detail, file: file, hint: error.hint)
    }
    return reference
  }

  private func externalNumber(_ entry: Onnx_StringStringEntryProto, tensor: String) throws -> Int64 {
    guard let number = Int64(entry.value), number >= 0 else {
      throw KilnError.badInput(
        "tensor '\(tensor)': external data \(entry.key) '\(entry.value)' is not a valid number",
        file: file)
    }
    return number
  }

  private func clearData(_ header: inout Onnx_TensorProto) {
    header.floatData = []
    header.int32Data = []
    header.stringData = []
    header.int64Data = []
    header.doubleData = []
    header.uint64Data = []
    header.clearRawData()
  }
}

extension TensorStorage {
  /// Whether the bytes are in an external-data file.
  var isExternalReference: Bool {
    if case .external = self { return true }
    return false
  }
}
