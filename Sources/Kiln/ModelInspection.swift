// Reading a model to summarize it.

import KilnIR
import KilnONNX

/// `kiln inspect`: reads a model and summarizes it.
public enum ModelInspection {
  /// Reads the model at `path` and returns its summary.
  public static func run(path: String) throws -> ModelSummary {
    ModelSummary(model: try ONNXModelReader.read(path: path), file: path)
  }
}
