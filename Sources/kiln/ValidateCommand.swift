// `kiln validate`: the CI accuracy gate — a candidate model against its reference, with thresholds.

import ArgumentParser
import Foundation
import Kiln
import KilnIR
import KilnValidate

/// Runs a reference and a candidate model on the same samples, prints each output's metrics
/// and each threshold's verdict, writes the reports, and exits 1 when a threshold fails.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check that a converted or quantized model stays close to its reference.",
    discussion: """
      Both models run in Kiln's runtime on the same samples (--images DIR with preprocessing, --inputs DIR of .npy/.npz, or --random N), in order. Per output: cosine similarity, max and mean absolute error, SNR in dB; for classifier outputs ([1, C] per sample) top-1 and top-5 agreement, and with --labels each model's top-1 accuracy and the drop. Each threshold is checked on every output it applies to. With --per-layer, and whenever a threshold fails, a second pass compares every intermediate tensor of the candidate that matches the reference (by name, or a DequantizeLinear output with the tensor its QuantizeLinear read) and ranks the layers by the relative error they add, worst first. Thresholds can come from --config FILE.json (keys maxTop1Drop, minTop1Agreement, minCosine, maxAbsError, minSnrDb); flags override it. --json, --junit and --html write the reports. Exit 0 when every check passes, 1 when one fails, 2 for bad input.
      """)

  @Argument(help: "The reference model (ONNX), e.g. the float32 one.")
  var reference: String

  @Argument(help: "The candidate model (ONNX), e.g. the quantized one.")
  var candidate: String

  @OptionGroup var data: CalibrationDataOptions

  @Option(help: "A labels file: lines 'IMAGE CLASS' (tab or space); needs --images.")
  var labels: String?

  @Option(help: "The largest top-1 accuracy drop, in points (needs --labels).")
  var maxTop1Drop: Double?

  @Option(help: "The smallest top-1 agreement with the reference, in percent.")
  var minTop1Agreement: Double?

  @Option(help: "The smallest cosine similarity of each output.")
  var minCosine: Double?

  @Option(help: "The largest absolute error of each output.")
  var maxAbsError: Double?

  @Option(help: "The smallest signal-to-noise ratio of each output, in dB.")
  var minSnrDb: Double?

  @Flag(help: "Rank the candidate's layers by the error they add even when every threshold holds.")
  var perLayer = false

  @Option(help: "A JSON file of thresholds; flags override its values.")
  var config: String?

  @Option(help: "Write the report as JSON here.")
  var json: String?

  @Option(help: "Write the checks as JUnit XML here.")
  var junit: String?

  @Option(help: "Write the report as a self-contained HTML page here (tables, per-layer chart, error histogram).")
  var html: String?

  @Flag(name: .shortAndLong, help: "Print nothing but errors.")
  var quiet = false

  func run() throws {
    let flags = ValidationThresholds(
      maxTop1Drop: maxTop1Drop, minTop1Agreement: minTop1Agreement, minCosine: minCosine,
      maxAbsError: maxAbsError, minSnrDb: minSnrDb)
    let thresholds = try config.map(ValidationThresholds.load).map { $0.overridden(by: flags) } ?? flags
    let display = quiet ? nil : ProgressDisplay(label: "validate", unit: "samples")
    let request = ModelValidationRequest(
      samples: try data.request(), labelsFile: labels, thresholds: thresholds, perLayer: perLayer,
      progress: { done, total in display?.update(completed: done, total: total) })
    let report = try ModelValidation.validate(reference: reference, candidate: candidate, request: request)
    display?.finish()
    if let json { try report.writeJSON(to: AtomicOutputFile(destination: json)) }
    if let junit { try report.writeJUnit(to: AtomicOutputFile(destination: junit)) }
    if let html { try report.writeHTML(to: AtomicOutputFile(destination: html)) }
    if !quiet { print(report.text, terminator: "") }
    let failures = report.failures
    guard failures.isEmpty else {
      throw KilnError(
        .validationFailed, "\(failures.count) of \(report.checks.count) checks failed: " + failures.map(\.message).joined(separator: "; "))
    }
  }
}
