// The ncnn target: .param and .bin files for Tencent's ncnn, and its int8 table.

import Foundation
import KilnIR

/// Writes a model for ncnn: `OUT.param` (the network as text), `OUT.bin` (the weights,
/// float32 or with `float16Weights` float16) and, with int8 ranges, `OUT.table` (ncnn2table's
/// format, for ncnn2int8). An output path ending in `.param` or `.bin` names the pair.
///
/// The model needs batch 1 and static shapes: ncnn blobs have no batch axis, so ONNX's axes
/// and shapes lose their first dim.
public struct NCNNTarget: DeploymentTarget {
  public let name = "ncnn"
  public let summary = "Tencent ncnn .param/.bin (float32 or float16 weights; int8 table from calibration)"
  public let legalizationPipeline = "ncnn"
  public var supportedOps: [SupportedOp] { NCNNMapping.all.map(\.supportedOp) }

  public init() {}

  public func modelProblems(_ model: Model) -> [TargetProblem] {
    let graph = model.graph
    var problems = graph.inputs.filter { $0.constant == nil }.compactMap(inputProblem)
    problems += graph.outputs.filter { $0.constant != nil }
      .map { TargetProblem(reason: "output '\($0.name)' is a constant; ncnn outputs are layer results") }
    if (model.opsetVersion("") ?? 13) < 13 {
      problems += graph.nodes.filter { $0.opType == "Softmax" && !softmaxOnLastAxis($0) }.map {
        TargetProblem(
          node: $0.name, op: $0.qualifiedOpType,
          reason: "before opset 13 Softmax flattens from its axis; only the last axis is supported")
      }
    }
    return problems
  }

  /// Why a graph input cannot be an ncnn Input: float32, static, batch 1, 2 to 5 dims.
  private func inputProblem(_ input: Value) -> TargetProblem? {
    guard let (type, shape) = input.type?.tensor, type == .float else {
      return TargetProblem(reason: "input '\(input.name)' must be a float32 tensor")
    }
    guard let dims = shape?.staticSizes else {
      return TargetProblem(
        reason: "input '\(input.name)' has dynamic shape \(shape?.description ?? "?"); "
          + "fix it with --input-shape \(input.name)=1x... (ncnn needs static shapes)")
    }
    guard dims.count >= 2, dims.count <= 5, dims[0] == 1 else {
      return TargetProblem(reason: "input '\(input.name)' has shape \(dims); ncnn needs batch 1 first and 1 to 4 more dims")
    }
    return nil
  }

  private func softmaxOnLastAxis(_ node: Node) -> Bool {
    guard let rank = node.inputs.first??.rank else { return false }
    let axis = Int(node.int("axis", default: 1))
    return (axis < 0 ? axis + rank : axis) == rank - 1
  }

  public func outputFiles(for output: String, options: TargetOptions) -> [String] {
    let stem = ["param", "bin"].contains(URL(fileURLWithPath: output).pathExtension)
      ? String(output.dropLast(URL(fileURLWithPath: output).pathExtension.count + 1)) : output
    return ["\(stem).param", "\(stem).bin"] + (options.int8Ranges == nil ? [] : ["\(stem).table"])
  }

  @discardableResult
  public func write(_ model: Model, to output: String, options: TargetOptions) throws -> [WrittenFile] {
    let network = try NCNNNetwork(model: model)
    let paths = outputFiles(for: output, options: options)
    var contents: [TargetFiles.Content] = [
      (paths[0], { try $0.write(Data(NCNNParamWriter.text(network).utf8)) }),
      (paths[1], { file in try NCNNBinWriter.write(network, float16: options.float16Weights) { try file.write($0) } }),
    ]
    if let ranges = options.int8Ranges {
      let table = NCNNInt8Table(network, ranges: ranges)
      contents.append((paths[2], { try $0.write(Data(table.text.utf8)) }))
    }
    return try TargetFiles.write(contents)
  }
}
