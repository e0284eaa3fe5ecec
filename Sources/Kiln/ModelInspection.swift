// Reading a model to summarize it.

import KilnIR

/// `kiln inspect`: reads a model and summarizes it.
public enum ModelInspection {
  /// Reads the model at `path` (with its weights file for Caffe and Darknet) and returns its
  /// summary.
  public static func run(path: String, weights: String? = nil) throws -> ModelSummary {
    ModelSummary(model: try ModelFile(path: path, weights: weights).read(), file: path)
  }

  /// Reads the model at `path` and prints its IR as text: one node per line, subgraphs
  /// indented, small constants shown and large ones elided, value types when asked.
  public static func graphText(path: String, weights: String? = nil, showTypes: Bool) throws -> String {
    let model = try ModelFile(path: path, weights: weights).read()
    return Printer.print(model, options: PrintOptions(showValueTypes: showTypes))
  }
}
