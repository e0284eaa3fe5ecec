// Reading a model to summarize it.

import KilnIR
import KilnONNX

/// `kiln inspect`: reads a model and summarizes it.
public enum ModelInspection {
  /// Reads the model at `path` and returns its summary.
  public static func run(path: String) throws -> ModelSummary {
    ModelSummary(model: try ONNXModelReader.read(path: path), file: path)
  }

  /// Reads the model at `path` and prints its IR as text: one node per line, subgraphs
  /// indented, small constants shown and large ones elided, value types when asked.
  public static func graphText(path: String, showTypes: Bool) throws -> String {
    let model = try ONNXModelReader.read(path: path)
    return Printer.print(model, options: PrintOptions(showValueTypes: showTypes))
  }
}
