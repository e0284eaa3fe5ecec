// Reading an ONNX model file into the IR without copying its weights.

import Foundation
import KilnIR

/// Reads ONNX models into the IR.
///
/// The file is memory-mapped and scanned on the protobuf wire format down to each weight's
/// `raw_data`, which stays a slice of the mapping; external data is resolved (and checked to
/// stay inside the model's folder) but not read. Any problem with the file is a `KilnError`
/// of kind `.badInput` naming the file.
public enum ONNXModelReader {
  /// Reads the model at `path`.
  public static func read(path: String) throws -> Model {
    do {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw KilnError.badInput("no such file", hint: "check the path")
      }
      guard !isDirectory.boolValue else { throw KilnError.badInput("is a folder, not a model file") }
      let file = try MappedFile(path: path)
      guard file.count > 0 else { throw KilnError.badInput("file is empty, not an ONNX model") }
      let parts = try file.withBytes { bytes in
        try ModelPartsScanner(bytes: bytes, storage: { .mapped(file, $0) }).scanModel()
      }
      // Scanning maps the pages around every field it reads (the kernel maps whole cached
      // folios), weights included; let them go, so that each weight is resident only while a
      // pass or the writer reads it.
      file.dropResidentPages(in: 0..<file.count)
      return try ONNXImporter(resolver: ExternalDataResolver(modelPath: path)).importModel(parts)
    } catch let error as KilnError {
      throw error.inFile(path)
    }
  }

  /// Reads a model from serialized bytes. External data, if any, is resolved against the folder
  /// of `path` when given; without a path a model with external data is refused.
  public static func read(bytes: Data, path: String? = nil) throws -> Model {
    do {
      guard !bytes.isEmpty else { throw KilnError.badInput("file is empty, not an ONNX model") }
      let parts = try bytes.withUnsafeBytes { buffer in
        try ModelPartsScanner(bytes: buffer, storage: { .bytes(Data(buffer[$0])) }).scanModel()
      }
      return try ONNXImporter(resolver: ExternalDataResolver(modelPath: path)).importModel(parts)
    } catch let error as KilnError {
      throw path.map { error.inFile($0) } ?? error
    }
  }
}
