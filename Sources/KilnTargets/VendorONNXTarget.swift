// Targets whose output is ONNX that a vendor tool finishes into its own file (TensorRT, RKNN).

import Foundation
import KilnIR

/// A target that writes ONNX prepared for a vendor's tool and, with `build`, has the tool make
/// its own file beside it (`m.onnx` → `m.engine`, `m.rknn`).
public protocol VendorONNXTarget: DeploymentTarget {
  /// The extension of the file the vendor tool makes (`engine`, `rknn`).
  var builtFileExtension: String { get }
}

extension VendorONNXTarget {
  /// The file the vendor tool makes for `output`: its `.onnx` extension replaced (or the
  /// extension added when it has none).
  public func builtFile(for output: String) -> String {
    let stem = URL(fileURLWithPath: output).pathExtension == "onnx" ? String(output.dropLast(5)) : output
    return stem + "." + builtFileExtension
  }

  public func outputFiles(for output: String, options: TargetOptions) -> [String] {
    [output] + (options.build ? [builtFile(for: output)] : [])
  }

  @discardableResult
  public func write(_ model: Model, to output: String, options: TargetOptions) throws -> [WrittenFile] {
    try ONNXTarget().write(model, to: output, options: TargetOptions(onnx: options.onnx))
  }
}
