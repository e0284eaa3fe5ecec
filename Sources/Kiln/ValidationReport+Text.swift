// The validation report as `kiln validate` prints it: a table per output and the verdicts.

import Foundation
import KilnValidate

extension ValidationReport {
  /// The layers the text shows, worst first.
  public static let printedLayers = 10

  /// A table of each output's metrics, a line per threshold check, then the worst layers.
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
    if let layers { lines += layerLines(layers) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The worst layers by added relative error, one line each.
  private func layerLines(_ layers: [LayerMetrics]) -> [String] {
    guard !layers.isEmpty else { return ["per-layer: no intermediate tensor of the candidate matches the reference"] }
    let shown = layers.prefix(Self.printedLayers)
    return ["per-layer: worst \(shown.count) of \(layers.count) layers by added relative error ‖r − c‖/‖r‖:"]
      + shown.map { layer in
        "  \(layer.node.isEmpty ? layer.tensor : layer.node) (\(layer.opType)) '\(layer.tensor)': added \(number(layer.addedError)), "
          + "relative \(number(layer.relativeError)), SNR dB \(number(layer.snrDB)), cosine \(number(layer.cosine))"
      }
  }

  private func number(_ value: Double) -> String { String(format: "%.6g", value) }
}
