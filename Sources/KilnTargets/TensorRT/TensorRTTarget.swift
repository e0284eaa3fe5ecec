// The TensorRT target: ONNX that TensorRT's parser takes, int8 as QDQ, and the trtexec line.

import Foundation
import KilnIR
import KilnQuant

/// Writes ONNX for TensorRT's ONNX parser (`trtexec --onnx`): ops of its support matrix
/// (TensorRT 8.5), opsets 13 to 17, static input shapes or declared ranges (an optimization
/// profile), and with int8 ranges TensorRT's explicit quantization: symmetric int8 QDQ
/// (zero point 0) on the activation inputs of Conv, ConvTranspose, MatMul and Gemm and on both
/// inputs of residual Adds (so that TensorRT fuses the Add into the convolution in int8),
/// weights int8 per output channel, biases left float (TensorRT fuses them).
///
/// The engine itself is TensorRT's to build: `export` gives the trtexec command, and runs it
/// with `build` when trtexec is on PATH (its absence is a note, not an error).
public struct TensorRTTarget: VendorONNXTarget {
  public let name = "tensorrt"
  public let summary = "ONNX for TensorRT \(TensorRTOps.version)'s parser (int8 as symmetric QDQ), and the trtexec command"
  public let legalizationPipeline = "tensorrt"
  public let builtFileExtension = "engine"
  public var supportedOps: [SupportedOp] { TensorRTOps.all }

  /// The opsets TensorRT 8.5's parser takes and per-channel QDQ needs.
  static let opsets: ClosedRange<Int64> = 13...17

  public init() {}

  public func modelProblems(_ model: Model, options: TargetOptions) -> [TargetProblem] {
    var problems: [TargetProblem] = []
    let opset = model.opsetVersion("") ?? 0
    if !Self.opsets.contains(opset) {
      problems.append(
        TargetProblem(
          reason: "the model imports opset \(opset); TensorRT \(TensorRTOps.version)'s parser takes opsets "
            + "\(Self.opsets.lowerBound) to \(Self.opsets.upperBound) here (export the model at one of them)"))
    }
    return problems
      + InputShapeCheck.problems(model, target: name, ranges: options.inputShapeRanges, rangesAllowed: true)
  }

  /// With int8 ranges, quantizes the model the way TensorRT's explicit quantization wants it.
  public func prepare(_ model: Model, options: TargetOptions) throws -> [String] {
    guard let ranges = options.int8Ranges else { return [] }
    let quantizer = Int8Quantizer(options: Self.int8Scheme)
    let report = try quantizer.quantize(model, ranges: ranges)
    let skipped = report.nodes.filter { !$0.quantized }
    return ["int8: \(report.quantizedCount) nodes quantized (symmetric QDQ, weights per channel, biases float)"]
      + skipped.map { "int8: \($0.name.isEmpty ? $0.opType : $0.name) stays float: \($0.reason ?? "")" } + report.notes
  }

  /// TensorRT's scheme: int8 activations with zero point 0, weights per channel, float biases.
  public static let int8Scheme = Int8QuantizationOptions(
    perChannel: true, activationType: .int8, symmetricActivations: true, quantizeBias: false)

  public func export(_ model: Model, to output: String, options: TargetOptions) throws -> TargetExport {
    let files = try write(model, to: output, options: options)
    let command = TrtexecCommand(
      onnx: output, engine: builtFile(for: output), int8: options.int8Ranges != nil,
      float16: options.float16Weights, ranges: options.inputShapeRanges)
    guard options.build else {
      return TargetExport(
        files: files,
        toolkit: ToolkitReport(
          tool: "trtexec", command: command.line, ran: false,
          note: "build the engine with this command where TensorRT is installed (or give --build)"))
    }
    guard let trtexec = ToolkitProcess.find("trtexec") else {
      return TargetExport(
        files: files,
        toolkit: ToolkitReport(
          tool: "trtexec", command: command.line, ran: false,
          note: "trtexec is not on PATH, so the engine was not built; run this command where TensorRT is installed"))
    }
    let engine = try buildEngine(trtexec, command)
    return TargetExport(files: files, toolkit: ToolkitReport(tool: "trtexec", command: command.line, ran: true, files: [engine]))
  }

  /// Runs trtexec into a temporary engine file, then moves the engine into place whole.
  private func buildEngine(_ trtexec: String, _ command: TrtexecCommand) throws -> WrittenFile {
    let folder = try ScratchFolder()
    var run = command
    run.engine = folder.file("model.engine")
    let (status, log) = try ToolkitProcess.run(trtexec, run.arguments)
    guard status == 0, FileManager.default.fileExists(atPath: run.engine) else {
      throw KilnError.badInput(
        "trtexec could not build the engine (exit \(status)); the ONNX was written to \(command.onnx):\n"
          + ToolkitProcess.tail(log))
    }
    return try TargetFiles.write([TargetFiles.copy(of: run.engine, to: command.engine)])[0]
  }
}
