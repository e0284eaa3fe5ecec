// Helpers for the target tests: models from ONNX text.

import Foundation
import KilnIR
import KilnONNX

/// A model from ONNX's text syntax (value infos in `<...>` give intermediate shapes).
func model(_ text: String) throws -> Model {
  try ONNXModelReader.read(bytes: LibONNX.parseText(text))
}

/// The text of the file at `path`.
func text(at path: String) throws -> String {
  try String(contentsOfFile: path, encoding: .utf8)
}
