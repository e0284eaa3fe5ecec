// The OpenVINO target: an IR v11 .xml and its .bin weights for Intel's OpenVINO.

import Foundation
import KilnIR

/// Writes a model as OpenVINO IR: `OUT.xml` (the network, IR version 11, each op at the opset
/// that defines it) and `OUT.bin` (the constants). With `float16Weights` float weights are
/// stored as float16 and decompressed by a Convert, as OpenVINO's `compress_to_fp16` does;
/// with int8 ranges, the inputs and weights of Convolutions and MatMuls pass through
/// FakeQuantize, from which OpenVINO runs them in int8. An output path ending in `.xml` or
/// `.bin` names the pair.
///
/// Shapes come from the IR (the legalization pipeline infers them); dynamic dims are written
/// as -1, and a node that needs a static shape says so.
public struct OpenVINOTarget: DeploymentTarget {
  public let name = "openvino"
  public let summary = "OpenVINO IR v11 .xml/.bin (float32 or compressed float16 weights; int8 FakeQuantize from calibration)"
  public let legalizationPipeline = "openvino"
  public var supportedOps: [SupportedOp] { OpenVINOMapping.all.map(\.supportedOp) }

  public init() {}

  public func modelProblems(_ model: Model) -> [TargetProblem] {
    let inputs = model.graph.inputs.filter { $0.constant == nil }.compactMap { input -> TargetProblem? in
      do throws(TargetRefusal) {
        _ = try input.openVINOTensor()
        return nil
      } catch {
        return TargetProblem(reason: "input: \(error.reason)")
      }
    }
    return inputs + model.graph.outputs.compactMap(laterOutputProblem)
  }

  /// A graph output that is not the first output of its node, which only Split's layers give
  /// (node inputs that read one are refused by the node's check).
  private func laterOutputProblem(_ output: Value) -> TargetProblem? {
    guard let node = output.producer, node.opType != "Split", let index = node.outputs.firstIndex(where: { $0 === output }),
      index > 0
    else { return nil }
    return TargetProblem(
      node: node.name, op: node.qualifiedOpType, reason: "only its first output can be read, and '\(output.name)' is output \(index)")
  }

  public func outputFiles(for output: String, options: TargetOptions) -> [String] {
    let fileExtension = URL(fileURLWithPath: output).pathExtension
    let stem = ["xml", "bin"].contains(fileExtension) ? String(output.dropLast(fileExtension.count + 1)) : output
    return ["\(stem).xml", "\(stem).bin"]
  }

  @discardableResult
  public func write(_ model: Model, to output: String, options: TargetOptions) throws -> [WrittenFile] {
    let network = try OpenVINONetwork(
      model: model,
      options: .init(
        float16Weights: options.float16Weights, int8Ranges: options.int8Ranges, opset: Int(model.opsetVersion("") ?? 13)))
    let paths = outputFiles(for: output, options: options)
    return try TargetFiles.write([
      (paths[0], { try $0.write(Data(OpenVINOXMLWriter.text(network).utf8)) }),
      (paths[1], { try $0.write(network.weights.data) }),
    ])
  }
}
