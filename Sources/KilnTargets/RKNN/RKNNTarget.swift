// The RKNN target: ONNX legalized for rknn-toolkit2, and with --build the .rknn itself.

import Foundation
import KilnIR

/// Writes ONNX that rknn-toolkit2 converts: ops of its support list, static shapes (a
/// symbolic batch becomes 1 in `passes/rknn.pipeline`, with a note), opsets up to 19. With
/// `build`, rknn-toolkit2 (its own venv) turns that ONNX into `OUT.rknn` for `platform`
/// (int8 from the given samples, else float16) and its PC simulator is compared with Kiln's
/// runtime on the same inputs.
public struct RKNNTarget: VendorONNXTarget {
  public let name = "rknn"
  public let summary = "ONNX for rknn-toolkit2 \(RKNNOps.version)+ (static shapes); --build makes the .rknn and checks its simulator"
  public let legalizationPipeline = "rknn"
  public let builtFileExtension = "rknn"
  public var supportedOps: [SupportedOp] { RKNNOps.all }

  /// The newest opset rknn-toolkit2 2.5.0 loads ("Unsupport onnx opset 20, need <= 19").
  static let maxOpset: Int64 = 19
  /// The platform `--build` targets unless told otherwise.
  public static let defaultPlatform = "rk3588"

  public init() {}

  public func modelProblems(_ model: Model, options: TargetOptions) -> [TargetProblem] {
    let opset = model.opsetVersion("") ?? 0
    let opsetProblem = opset > Self.maxOpset
      ? [TargetProblem(reason: "the model imports opset \(opset); rknn-toolkit2 loads opsets up to \(Self.maxOpset)")] : []
    return opsetProblem + InputShapeCheck.problems(model, target: name, ranges: options.inputShapeRanges, rangesAllowed: false)
  }

  /// With `build`, finds rknn-toolkit2 before anything is written.
  public func prepare(_ model: Model, options: TargetOptions) throws -> [String] {
    if options.build { _ = try RKNNBuild.locate() }
    return []
  }

  public func export(_ model: Model, to output: String, options: TargetOptions) throws -> TargetExport {
    let files = try write(model, to: output, options: options)
    guard options.build else { return TargetExport(files: files) }
    let report = try RKNNBuild.locate().run(
      model, onnx: output, destination: builtFile(for: output), platform: options.platform ?? Self.defaultPlatform,
      samples: options.int8Samples)
    return TargetExport(files: files, toolkit: report)
  }
}
