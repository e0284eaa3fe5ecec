// What a deployment target is: the ops it takes, how a graph is made ready for it, how it is written.

import KilnIR

/// A format Kiln writes a model to (`kiln convert --target NAME`): ONNX, ncnn, OpenVINO IR,
/// TensorRT-ready ONNX, RKNN-ready ONNX.
///
/// Conversion to a target runs its legalization pipeline, then checks every node against
/// `supportedOps` and refuses the model (listing every unsupported node) before anything is
/// written; only a model that passes the check reaches `write`.
public protocol DeploymentTarget: Sendable {
  /// The name on the command line (`--target NAME`).
  var name: String { get }
  /// One line for `kiln targets`.
  var summary: String { get }
  /// The pipeline that prepares a model for this target: a name of a file in `passes/`
  /// (e.g. `ncnn` for `passes/ncnn.pipeline`).
  var legalizationPipeline: String { get }
  /// Every op the target takes, with the conditions under which it takes it.
  var supportedOps: [SupportedOp] { get }
  /// Whether the target takes every op whatever `supportedOps` lists (ONNX itself).
  var supportsEveryOp: Bool { get }
  /// What the model must satisfy beyond its ops (static shapes, one batch, ...): a reason per
  /// problem, empty when there is none. Checked with the ops, before anything is written.
  func modelProblems(_ model: Model) -> [TargetProblem]
  /// The files `write` produces for the output path the user gave, in the order written.
  func outputFiles(for output: String, options: TargetOptions) -> [String]
  /// Writes the legalized, checked model and returns the files written. Every file is written
  /// atomically; on an error none of `outputFiles(for:options:)` is left changed.
  @discardableResult
  func write(_ model: Model, to output: String, options: TargetOptions) throws -> [WrittenFile]
}

extension DeploymentTarget {
  public func modelProblems(_ model: Model) -> [TargetProblem] { [] }
  public var supportsEveryOp: Bool { false }
}
