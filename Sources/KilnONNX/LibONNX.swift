// LibONNX: Debian's libonnx (checker, shape inference, ONNX text format) reached through CONNX.
import CONNX
import Foundation
import KilnIR

/// Debian's libonnx (ONNX 1.12) through the CONNX shim: the ONNX checker, shape inference,
/// the ONNX text format and the opset versions libonnx knows.
///
/// libonnx 1.12 knows IR versions up to 8 and opsets up to 17 (`ai.onnx`) and 3
/// (`ai.onnx.ml`). Treat its checks as advisory: a newer model is never refused for being
/// newer; what could not be checked comes back as warnings. Failures throw
/// `KilnError.badInput` with libonnx's message.
public enum LibONNX {
  /// Checks a serialized ONNX model with libonnx's checker and returns its warnings.
  ///
  /// - Parameters:
  ///   - modelBytes: a serialized `ModelProto`.
  ///   - fullCheck: also run strict, type-checking shape inference, as
  ///     `onnx.checker.check_model(model, full_check=True)` does.
  /// - Returns: one line per warning, empty when there are none. A model newer than
  ///   libonnx (IR version above 8, or a newer opset) gets warnings saying what was not
  ///   checked instead of an error.
  /// - Throws: `KilnError.badInput` when the bytes are not a model or the model is invalid.
  ///   External data is looked up relative to the current directory; use
  ///   `check(modelAt:fullCheck:)` for models with external data.
  public static func check(modelBytes: Data, fullCheck: Bool = false) throws -> [String] {
    try warnings { warnings, error in
      modelBytes.withUnsafeBytes { raw in
        connx_check_model(raw.baseAddress, raw.count, fullCheck ? 1 : 0, warnings, error)
      }
    }
  }

  /// Checks the ONNX model file at `path` and returns its warnings; external data is
  /// resolved relative to the file's folder.
  ///
  /// - Parameters:
  ///   - path: the `.onnx` file.
  ///   - fullCheck: also run strict, type-checking shape inference.
  /// - Returns: one line per warning, as for `check(modelBytes:fullCheck:)`.
  /// - Throws: `KilnError.badInput` naming the file when it cannot be read or is invalid.
  public static func check(modelAt path: String, fullCheck: Bool = false) throws -> [String] {
    do {
      return try warnings { warnings, error in
        connx_check_model_path(path, fullCheck ? 1 : 0, warnings, error)
      }
    } catch let error as KilnError {
      throw error.inFile(path)
    }
  }

  /// Runs libonnx's shape inference on a serialized model and returns the inferred model.
  ///
  /// - Parameters:
  ///   - modelBytes: a serialized `ModelProto`.
  ///   - strict: fail on node-level inference errors and type mismatches instead of
  ///     skipping them.
  ///   - dataPropagation: let libonnx compute shapes that flow through shape arithmetic
  ///     (`Shape`, `Gather`, `Concat`, ...).
  /// - Returns: the serialized model with `value_info` (and refined output types) added.
  ///   Nodes that no libonnx schema describes (ops newer than opset 17) are left without
  ///   inferred outputs rather than inferred by a schema that does not fit them.
  /// - Throws: `KilnError.badInput` when the bytes are not a model or inference fails.
  public static func inferShapes(
    modelBytes: Data, strict: Bool = false, dataPropagation: Bool = false
  ) throws -> Data {
    try bytes { out, length, error in
      modelBytes.withUnsafeBytes { raw in
        connx_infer_shapes(
          raw.baseAddress, raw.count, strict ? 1 : 0, dataPropagation ? 1 : 0, out, length,
          error)
      }
    }
  }

  /// Parses a model written in the ONNX text syntax, for example
  /// `<ir_version: 8, opset_import: ["" : 15]> g (float[N] X) => (float[N] Y) { Y = Relu(X) }`.
  ///
  /// - Returns: the serialized `ModelProto`.
  /// - Throws: `KilnError.badInput` with the parser's position and context.
  public static func parseText(_ text: String) throws -> Data {
    try bytes { out, length, error in connx_parse_model_text(text, out, length, error) }
  }

  /// Prints a serialized model in the ONNX text syntax: a `<...>` header with the model's
  /// fields, the graph, then the model's functions. `parseText` reads the result back.
  ///
  /// - Throws: `KilnError.badInput` when the bytes are not a model.
  public static func printText(modelBytes: Data) throws -> String {
    var text: UnsafeMutablePointer<CChar>?
    var error: UnsafeMutablePointer<CChar>?
    let status = modelBytes.withUnsafeBytes { raw in
      connx_print_model_text(raw.baseAddress, raw.count, &text, &error)
    }
    let message = take(error)
    guard status == 0, let printed = take(text) else { throw failure(message) }
    return printed
  }

  /// The highest opset version libonnx knows for `domain` (`""` and `"ai.onnx"` are the
  /// default domain), or `nil` when libonnx does not know the domain.
  public static func maxKnownOpset(domain: String) -> Int? {
    let version = connx_max_known_opset(domain)
    return version < 0 ? nil : Int(version)
  }

  // MARK: - Calling the C shim

  private typealias MessageOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

  /// Copies and frees a message from the shim.
  private static func take(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    defer { connx_free(pointer) }
    return pointer.map { String(cString: $0) }
  }

  private static func failure(_ message: String?) -> KilnError {
    .badInput(message ?? "libonnx failed without a message")
  }

  /// Calls a shim function that reports warnings, and splits them into lines.
  private static func warnings(_ call: (MessageOut, MessageOut) -> Int32) throws -> [String] {
    var warnings: UnsafeMutablePointer<CChar>?
    var error: UnsafeMutablePointer<CChar>?
    let status = call(&warnings, &error)
    let text = take(warnings)
    let message = take(error)
    guard status == 0 else { throw failure(message) }
    return text?.split(separator: "\n").map(String.init) ?? []
  }

  /// Calls a shim function that returns a buffer; the `Data` takes the buffer over.
  private static func bytes(
    _ call: (UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int>, MessageOut)
      -> Int32
  ) throws -> Data {
    var out: UnsafeMutableRawPointer?
    var length = 0
    var error: UnsafeMutablePointer<CChar>?
    let status = call(&out, &length, &error)
    let message = take(error)
    guard status == 0, let out else {
      connx_free(out)
      throw failure(message)
    }
    return Data(
      bytesNoCopy: out, count: length, deallocator: .custom { pointer, _ in connx_free(pointer) })
  }
}
