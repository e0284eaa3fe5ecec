// The ONNX target: the optimized model written back as ONNX.

import Foundation
import KilnIR
import KilnONNX

/// Writes the model as ONNX (the default of `kiln convert`). It takes every op, and needs no
/// legalization: the user's pipeline has already run.
public struct ONNXTarget: DeploymentTarget {
  public let name = "onnx"
  public let summary = "ONNX, as the pipeline left it (the default)"
  public let legalizationPipeline = "none"
  public let supportedOps: [SupportedOp] = []
  public var supportsEveryOp: Bool { true }

  public init() {}

  public func outputFiles(for output: String, options: TargetOptions) -> [String] {
    guard options.onnx.externalData == .always else { return [output] }
    let folder = URL(fileURLWithPath: output).deletingLastPathComponent()
    let data = options.onnx.externalDataLocation ?? URL(fileURLWithPath: output).lastPathComponent + ".data"
    return [output, folder.appendingPathComponent(data).path]
  }

  @discardableResult
  public func write(_ model: Model, to output: String, options: TargetOptions) throws -> [WrittenFile] {
    Self.files(output, try writeONNX(model, to: output, options: options.onnx))
  }

  /// The files an ONNX write produced: the model, and its external data when there is some.
  public static func files(_ output: String, _ summary: ONNXWriteSummary) -> [WrittenFile] {
    [WrittenFile(path: output, bytes: summary.modelBytes)]
      + (summary.externalDataPath.map { [WrittenFile(path: $0, bytes: summary.externalBytes)] } ?? [])
  }

  /// Writes `model` as ONNX and says where its weights went.
  public func writeONNX(_ model: Model, to output: String, options: ONNXWriteOptions) throws -> ONNXWriteSummary {
    try ONNXModelWriter.write(model, to: output, options: options)
  }
}
