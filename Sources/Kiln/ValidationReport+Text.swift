// The validation report as `kiln validate` prints it: a table per output and the verdicts.

import Foundation
import KilnValidate

extension ValidationReport {
  /// A table of each output's metrics, then a line per threshold check.
  public var text: String {
    var lines = ["\(samples) samples: \(reference) (reference) vs \(candidate) (candidate)"]
    for output in outputs {
      lines.append("output '\(output.name)' (\(output.elements) elements):")
      var rows = [
        ("cosine", number(output.cosine)), ("max abs error", number(output.maxAbsError)),
        ("mean abs error", number(output.meanAbsError)), ("SNR dB", number(output.snrDB)),
      ]
      if let classifier = output.classifier {
        rows += [("top-1 agreement %", number(classifier.top1Agreement)), ("top-5 agreement %", number(classifier.top5Agreement))]
        if let reference = classifier.referenceAccuracy, let candidate = classifier.candidateAccuracy, let drop = classifier.top1Drop {
          rows += [("reference top-1 %", number(reference)), ("candidate top-1 %", number(candidate)), ("top-1 drop", number(drop))]
        }
      }
      lines += rows.map { "  " + $0.0.padding(toLength: 18, withPad: " ", startingAt: 0) + $0.1 }
    }
    if checks.isEmpty { lines.append("no thresholds given") }
    lines += checks.map { "\($0.passed ? "PASS" : "FAIL") \($0.message)" }
    return lines.joined(separator: "\n") + "\n"
  }

  private func number(_ value: Double) -> String { String(format: "%.6g", value) }
}
