// Reading one serialized tensor, sequence or optional file, as the ONNX test data sets hold.

import Foundation
import KilnIR
import ONNXProto
import SwiftProtobuf

/// A value as an ONNX data file holds it: a tensor, a sequence of values, or an optional.
public indirect enum ONNXDataValue: Sendable {
  case tensor(Tensor)
  case sequence([ONNXDataValue])
  /// Nil when the optional holds nothing.
  case optional(ONNXDataValue?)
}

/// Files that hold one serialized `TensorProto`, `SequenceProto` or `OptionalProto` (like
/// `test_data_set_0/input_0.pb`). The file does not say which it holds, so the caller passes
/// the declared type of the graph input or output it belongs to. `onnx-data.proto`, which
/// declares the sequence and optional messages, is not in the generated ONNXProto module;
/// their few fields are read here off the wire.
public enum ONNXValueFile {
  /// Reads the value in the file at `path`, a sequence or optional when `type` says so and a
  /// tensor otherwise.
  public static func read(path: String, type: ValueType?) throws -> ONNXDataValue {
    switch type {
    case .sequence?, .optional?:
      do {
        guard let data = FileManager.default.contents(atPath: path) else {
          throw KilnError.badInput("cannot read the file", hint: "check the path")
        }
        let importer = ONNXImporter(resolver: ExternalDataResolver(modelPath: path))
        return try data.withUnsafeBytes { bytes in
          let whole = 0..<bytes.count
          if case .sequence? = type { return try readSequence(bytes, whole, importer) }
          return try readOptional(bytes, whole, importer)
        }
      } catch let error as KilnError {
        throw error.inFile(path)
      }
    default:
      return .tensor(try ONNXTensorFile.read(path: path))
    }
  }

  /// A `SequenceProto`: tensor_values (3), sequence_values (5) or optional_values (7).
  private static func readSequence(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ importer: ONNXImporter
  ) throws -> ONNXDataValue {
    var elements: [ONNXDataValue] = []
    var scanner = WireScanner(bytes, range: range)
    while let field = try scanner.next() {
      if let element = try element(field, bytes, importer) { elements.append(element) }
    }
    return .sequence(elements)
  }

  /// An `OptionalProto`: at most one of tensor_value (3), sequence_value (5), optional_value (7).
  private static func readOptional(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ importer: ONNXImporter
  ) throws -> ONNXDataValue {
    var value: ONNXDataValue?
    var scanner = WireScanner(bytes, range: range)
    while let field = try scanner.next() {
      if let element = try element(field, bytes, importer) { value = element }
    }
    return .optional(value)
  }

  /// The value a sequence or optional field holds; nil for name (1) and elem_type (2).
  private static func element(
    _ field: WireField, _ bytes: UnsafeRawBufferPointer, _ importer: ONNXImporter
  ) throws -> ONNXDataValue? {
    switch (field.number, field.wireType) {
    case (1, _), (2, _):
      return nil
    case (3, 2):
      let message: Onnx_TensorProto
      do {
        message = try Onnx_TensorProto(serializedBytes: Data(bytes[field.payload]))
      } catch {
        throw KilnError.badInput("a sequence or optional holds a malformed tensor", hint: "the file may be corrupt")
      }
      return .tensor(try importer.importTensor(message))
    case (5, 2):
      return try readSequence(bytes, field.payload, importer)
    case (7, 2):
      return try readOptional(bytes, field.payload, importer)
    default:
      throw KilnError.badInput(
        "sequence or optional field \(field.number) (sparse tensors, maps) is not supported",
        hint: "only tensors, sequences and optionals are read")
    }
  }
}
