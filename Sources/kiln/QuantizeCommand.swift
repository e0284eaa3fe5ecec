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
      The model first runs the preparation pipeline (--pipeline, default quantize-prepare: \
      BatchNormalization folded, constants folded; calibration statistics must come from the \
      same one), then: --int8 quantizes Conv, ConvTranspose, MatMul and Gemm nodes with constant \
      weights (symmetric int8 weights per channel, int32 biases, QuantizeLinear and \
      DequantizeLinear on their inputs, and on both inputs of an Add of two computed tensors, \
      so that backends run the convolutions of residual blocks in int8) with activation ranges \
      from --stats (a `kiln calibrate` \
      file; --method, default the file's), from calibration data given here (--images, --inputs \
      or --random, calibrated now), or from --ranges {"tensor": {"min": a, "max": b}, ...}; \
      --fp16 converts weights and compute to float16, keeping blocklisted ops in float32 and \
      reporting weights clipped to ±65504. The output is written atomically; on any error \
      nothing is written (exit 2 for bad input).

      Sensitivity (--int8 with --sensitivity, --keep-fp32 or --max-error, on the calibration \
      data): each layer is quantized alone and the float model's outputs are compared with the \
      quantized model's on the first --sensitivity-samples samples. The error is the relative \
      L2 error ||q - f|| / ||f|| over every element of every output and sample (cosine \
      similarity is reported too); layers are ranked by it, worst first. --keep-fp32 K leaves \
      the K worst layers float32. --max-error E leaves the worst layers float32 one at a time, \
      re-measuring the whole model, until its error is <= E; when even all but one layer kept \
      float32 exceed E, no int8 model meets the bound: nothing is written but the \
      --sensitivity report, and the exit code is 1 (validation failed).
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

  @OptionGroup(title: "Calibration data (the samples to calibrate on without --stats or --ranges, and of sensitivity analysis)")
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

  @Option(help: "int8: measure each layer's error and write the ranking as JSON to this file.")
  var sensitivity: String?

  @Option(help: "int8: keep the K layers that add the most error in float32.")
  var keepFp32: Int?

  @Option(help: "int8: keep the worst layers in float32 until the model's relative L2 error is <= E (exit 1 if it cannot be met).")
  var maxError: Double?

  @Option(help: "int8: the number of samples (the first ones) sensitivity analysis measures on.")
  var sensitivitySamples = 32

  @Flag(help: "Print the summary as JSON.")
  var json = false

  func validate() throws {
    guard int8 != fp16 else { throw ValidationError("give exactly one of --int8 and --fp16") }
    let givenRanges = [stats != nil, ranges != nil].filter { $0 }.count
    if int8 && (givenRanges > 1 || givenRanges == 0 && !data.givesSamples) {
      throw ValidationError("--int8 needs one of --stats FILE, calibration data (--images, --inputs, --random) or --ranges FILE")
    }
    if fp16 && (givenRanges > 0 || data.givesSamples || perTensor || symmetricActivations || skipOpTypes != nil || skipNodes != nil) {
      throw ValidationError("--stats, calibration data, --ranges, --per-tensor, --symmetric-activations and the skip lists are for --int8")
    }
    if int8 && (keepIoTypes || fp16Blocklist != nil) {
      throw ValidationError("--keep-io-types and --fp16-blocklist are for --fp16")
    }
    try validateSensitivity()
    if Int8QuantizationOptions.ActivationType(rawValue: activationType) == nil {
      throw ValidationError("--activation-type must be int8 or uint8, not '\(activationType)'")
    }
  }

  /// Whether any sensitivity option is given.
  private var wantsSensitivity: Bool { sensitivity != nil || keepFp32 != nil || maxError != nil }

  private func validateSensitivity() throws {
    if wantsSensitivity {
      guard int8 else { throw ValidationError("--sensitivity, --keep-fp32 and --max-error are for --int8") }
      guard data.givesSamples else {
        throw ValidationError("sensitivity analysis needs samples: give --images DIR, --inputs DIR or --random N")
      }
    } else if data.givesSamples && (stats != nil || ranges != nil) {
      throw ValidationError(
        "with --stats or --ranges, calibration data only serves sensitivity analysis: add --sensitivity, --keep-fp32 or --max-error, or leave the data out")
    }
    if keepFp32 != nil && maxError != nil { throw ValidationError("give at most one of --keep-fp32 and --max-error") }
    if let keepFp32, keepFp32 < 0 { throw ValidationError("--keep-fp32 must be 0 or more, not \(keepFp32)") }
    if let maxError, !(maxError >= 0 && maxError.isFinite) {
      throw ValidationError("--max-error must be a finite number >= 0, not \(maxError)")
    }
    if sensitivitySamples < 1 { throw ValidationError("--sensitivity-samples must be at least 1, not \(sensitivitySamples)") }
  }

  /// The sensitivity request the options describe, if any.
  private func sensitivityRequest() throws -> SensitivityRequest? {
    guard wantsSensitivity else { return nil }
    let selection: FloatLayerSelection = keepFp32.map { .worst($0) } ?? maxError.map { .maxError($0) } ?? .none
    return SensitivityRequest(
      samples: try data.request(), sampleCount: sensitivitySamples, selection: selection, reportPath: sensitivity,
      progress: { FileHandle.standardError.write(Data("\($0)\n".utf8)) })
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
      input: model, output: output,
      options: QuantizationOptions(mode: mode, pipeline: pipeline, sensitivity: try sensitivityRequest()))
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
