// Turning an external-data `location` into a file path, refusing ones that leave the model's folder.

import Foundation
import KilnIR

/// Resolves the `location` of ONNX external data against the model's folder.
///
/// A location is refused when it is absolute, when any component is `..`, or when the path it
/// names resolves (following symlinks) to somewhere outside the model's folder: a model file
/// must never be able to make Kiln read arbitrary files.
struct ExternalDataResolver {
  /// The folder the model file is in, with symlinks resolved.
  let baseDirectory: String?
  /// The model file, for error messages.
  let modelPath: String

  init(modelPath: String?) {
    self.modelPath = modelPath ?? "<memory>"
    if let modelPath {
      let folder = URL(fileURLWithPath: modelPath).deletingLastPathComponent().path
      baseDirectory = Self.realPath(folder) ?? folder
    } else {
      baseDirectory = nil
    }
  }

  /// The resolved path for `location`, after the safety checks; the file must exist.
  func resolve(_ location: String, tensor: String) throws -> String {
    func refuse(_ why: String) -> KilnError {
      KilnError.badInput(
        "tensor '\(tensor)': external data location '\(location)' \(why)", file: modelPath,
        hint: "external data must be a relative path inside the model's folder")
    }
    guard let baseDirectory else {
      throw KilnError.badInput(
        "tensor '\(tensor)' keeps its data in '\(location)', but the model was not read from a file",
        hint: "load the model by path so external data can be found")
    }
    guard !location.isEmpty else { throw refuse("is empty") }
    guard !location.hasPrefix("/"), !location.hasPrefix("\\") else { throw refuse("is absolute") }
    let components = location.split(whereSeparator: { $0 == "/" || $0 == "\\" })
    guard !components.contains("..") else { throw refuse("contains '..'") }
    let joined = baseDirectory + "/" + location
    guard FileManager.default.fileExists(atPath: joined) else {
      throw KilnError.badInput(
        "tensor '\(tensor)': external data file '\(location)' not found next to the model",
        file: modelPath, hint: "copy the data file beside the model, or fix its location")
    }
    guard let resolved = Self.realPath(joined),
      resolved.hasPrefix(baseDirectory.hasSuffix("/") ? baseDirectory : baseDirectory + "/")
    else { throw refuse("resolves to a file outside the model's folder") }
    return resolved
  }

  /// The canonical absolute path, with symlinks resolved, or nil when it does not exist.
  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
