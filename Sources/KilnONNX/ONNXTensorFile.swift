// Reading and writing one serialized TensorProto file, as the ONNX test data sets hold.

import Foundation
import KilnIR
import ONNXProto
import SwiftProtobuf

/// Files that hold one serialized `TensorProto` (like `test_data_set_0/input_0.pb`). Any
/// problem with such a file is a `KilnError` of kind `.badInput` naming the file.
public enum ONNXTensorFile {
  /// Reads the tensor in the file at `path`.
  public static func read(path: String) throws -> Tensor {
    do {
      let bytes = try contents(of: path)
      let message: Onnx_TensorProto
      do {
        message = try Onnx_TensorProto(serializedBytes: bytes)
      } catch {
        throw KilnError.badInput("not a serialized ONNX tensor", hint: "the file may be corrupt")
      }
      guard message.hasDataType, DataType(rawValue: message.dataType).isKnown else {
        throw KilnError.badInput(
          "not an ONNX tensor: its element type is missing or unknown", hint: "the file may be corrupt")
      }
      return try ONNXImporter(resolver: ExternalDataResolver(modelPath: path)).importTensor(message)
    } catch let error as KilnError {
      throw error.inFile(path)
    }
  }

  /// Writes `tensor` as a serialized TensorProto to `path`, atomically.
  public static func write(_ tensor: Tensor, to path: String) throws {
    let message = try ONNXExporter().tensorPiece(tensor, name: tensor.name).inlineMessage()
    let data: Data = try message.serializedBytes()
    let file = try AtomicOutputFile(destination: path)
    try file.write(data)
    try file.commit()
  }

  private static func contents(of path: String) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw KilnError.badInput("no such file", hint: "check the path")
    }
    guard !isDirectory.boolValue else { throw KilnError.badInput("is a folder, not a tensor file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KilnError.badInput("cannot read the file")
    }
    guard !data.isEmpty else { throw KilnError.badInput("file is empty, not a tensor") }
    return data
  }
}
