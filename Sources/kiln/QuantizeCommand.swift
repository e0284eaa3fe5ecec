// `kiln quantize`: int8 QDQ from activation ranges, or fp16, after the preparation pipeline.

import ArgumentParser
import Foundation
import Kiln
import KilnONNX
import KilnQuant

/// Quantizes a model to int8 (QDQ) or float16 and writes ONNX.
struct QuantizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quantize",
    abstract: "Quantize a model to int8 (QDQ, from activation ranges) or float16.",
    discussion: """
      The model first runs the preparation pipeline (--pipeline, default `default`: batch
      norms folded, constants folded), then: --int8 quantizes Conv, ConvTranspose, MatMul and
      Gemm nodes with constant weights (symmetric int8 weights per channel, int32 biases,
      QuantizeLinear/DequantizeLinear on their inputs) from a ranges file
      {"tensor": {"min": a, "max": b}, ...} measured on the model after the same pipeline;
      --fp16 converts weights and compute to float16, keeping blocklisted ops in float32 and
      reporting weights clipped to ±65504. The output is written atomically; on any error
      nothing is written (exit 2 for bad input).
      """)

  @Argument(help: "The input model file (ONNX).")
  var model: String

  @Option(name: [.short, .customLong("output")], help: "Where to write the quantized model.")
  var output: String

  @Flag(help: "int8 QDQ quantization (needs --stats, calibration data such as --images, or --ranges).")
  var int8 = false

  @Flag(help: "float16 conversion.")
  var fp16 = false

  @Option(help: "Calibration statistics that `kiln calibrate` wrote for this model.")
  var stats: String?

  @Option(help: "How ranges are chosen from the histograms: minmax, percentile, entropy or mse (default: the one --stats names, else minmax).")
  var method: String?

  @Option(help: "The percentile of --method percentile.")
  var percentile = CalibrationMethod.defaultPercentile

  @Option(help: "Activation ranges: a JSON file {\"tensor\": {\"min\": a, \"max\": b}, ...}.")
  var ranges: String?

  @OptionGroup(title: "Calibration data (instead of --stats)")
  var data: CalibrationDataOptions

  @Option(help: "The preparation pipeline: a name or a path to a .pipeline file (calibration statistics must come from the same one).")
  var pipeline = ModelCalibration.preparePipeline

  @Flag(help: "One scale per weight tensor instead of per output channel.")
  var perTensor = false

  @Option(help: "The activation type: int8 or uint8.")
  var activationType = "int8"

  @Flag(help: "Symmetric activations (zero point 0 for int8), as TensorRT expects.")
  var symmetricActivations = false

  @Option(help: "Op types to leave in float, comma-separated (e.g. Gemm,MatMul).")
  var skipOpTypes: String?

  @Option(help: "Node names to leave in float, comma-separated.")
  var skipNodes: String?

  @Flag(help: "fp16: keep graph inputs and outputs float32, with Casts inserted.")
  var keepIoTypes = false

  @Option(help: "fp16: op types kept in float32, comma-separated, replacing the default list.")
  var fp16Blocklist: String?

  @Flag(help: "Print the summary as JSON.")
  var json = false

  func validate() throws {
    guard int8 != fp16 else { throw ValidationError("give exactly one of --int8 and --fp16") }
    let rangeSources = [stats != nil, ranges != nil, data.givesSamples].filter { $0 }.count
    if int8 && rangeSources != 1 {
      throw ValidationError("--int8 needs exactly one of --stats FILE, calibration data (--images, --inputs, --random) and --ranges FILE")
    }
    if fp16 && (rangeSources > 0 || perTensor || symmetricActivations || skipOpTypes != nil || skipNodes != nil) {
      throw ValidationError("--stats, calibration data, --ranges, --per-tensor, --symmetric-activations and the skip lists are for --int8")
    }
    if int8 && (keepIoTypes || fp16Blocklist != nil) {
      throw ValidationError("--keep-io-types and --fp16-blocklist are for --fp16")
    }
    if Int8QuantizationOptions.ActivationType(rawValue: activationType) == nil {
      throw ValidationError("--activation-type must be int8 or uint8, not '\(activationType)'")
    }
  }

  func run() throws {
    let mode: QuantizationOptions.Mode
    if int8 {
      mode = .int8(
        Int8QuantizationOptions(
          perChannel: !perTensor, activationType: Int8QuantizationOptions.ActivationType(rawValue: activationType) ?? .int8,
          symmetricActivations: symmetricActivations, skipOpTypes: list(skipOpTypes), skipNodes: list(skipNodes)),
        ranges: try activationRanges())
    } else {
      mode = .float16(
        Float16ConversionOptions(
          keepIOTypes: keepIoTypes, blocklist: fp16Blocklist.map(list) ?? Float16ConversionOptions.defaultBlocklist))
    }
    let summary = try ModelQuantization.run(
      input: model, output: output, options: QuantizationOptions(mode: mode, pipeline: pipeline))
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      FileHandle.standardOutput.write(try encoder.encode(summary) + Data("\n".utf8))
    } else {
      print(summary.text)
    }
  }

  /// Where the activation ranges come from, as the options say.
  private func activationRanges() throws -> ActivationRanges {
    if let ranges { return .given(try ModelQuantization.readRanges(path: ranges)) }
    let method = try self.method.map { try CalibrationMethod(name: $0, percentile: percentile) }
    if let stats { return .statistics(try CalibrationStatistics.read(path: stats), method) }
    var options = CalibrationOptions()
    let display = ProgressDisplay(label: "calibrate", unit: "samples")
    options.progress = { progress in
      display.update(completed: progress.completed, total: progress.total)
      if progress.completed == progress.total { display.finish() }
    }
    return .calibrate(try data.request(), method ?? .minmax, options)
  }

  private func list(_ text: String?) -> Set<String> {
    Set((text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
  }
}
