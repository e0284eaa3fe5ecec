// The validation report as one self-contained HTML page: inline CSS and SVG, no scripts, no
// network.

import Foundation
import KilnIR

extension ValidationReport {
  /// The layers the bar chart shows, worst first.
  public static let chartedLayers = 20

  /// The page: the verdict and both models, the threshold checks, the per-output metrics,
  /// with the per-layer diagnosis a bar chart of the worst layers' added error, and a
  /// histogram of the absolute errors of the worst output (lowest cosine).
  public func html() -> String {
    let title = "kiln validate \(verdict): \(reference) vs \(candidate)"
    let sections = [summary(), checksTable(), outputsTable(), layersChart(), errorHistogram()].compactMap { $0 }
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>\(Markup.escaped(title))</title>
      <style>\(Self.style)</style>
      </head>
      <body>
      \(sections.joined(separator: "\n"))
      </body>
      </html>

      """
  }

  /// Writes `html()` into `file` and commits it.
  public func writeHTML(to file: AtomicOutputFile) throws {
    try file.write(Data(html().utf8))
    try file.commit()
  }

  var verdict: String { passed ? "PASSED" : "FAILED" }

  static let style = """
    body{font-family:system-ui,sans-serif;margin:2em;color:#222}
    table{border-collapse:collapse;margin:0.5em 0 1.5em}
    th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left}
    .number{font-variant-numeric:tabular-nums}
    .pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}
    svg{display:block;margin:0.5em 0 1.5em;font-size:12px}
    svg.bars rect{fill:#cf6a22}svg.histogram rect{fill:#3465a4}
    """

  func summary() -> String {
    """
    <h1>kiln validate: <span class="\(passed ? "pass" : "fail")">\(verdict)</span></h1>
    <p>Reference: <code>\(Markup.escaped(reference))</code><br>
    Candidate: <code>\(Markup.escaped(candidate))</code><br>
    Samples: \(samples); \(checks.count - failures.count) of \(checks.count) checks passed.</p>
    """
  }

  func checksTable() -> String {
    guard !checks.isEmpty else { return "<h2>Checks</h2>\n<p>No thresholds were given.</p>" }
    let rows = checks.map { check in
      Self.row([
        Markup.escaped(check.metric), Markup.escaped(check.output), Self.cell(check.value),
        "\(check.isMinimum ? "≥" : "≤") \(ThresholdCheck.format(check.bound))",
        #"<span class="\#(check.passed ? "pass" : "fail")">\#(check.passed ? "pass" : "FAIL")</span>"#,
      ])
    }
    return Self.table(title: "Checks", header: ["metric", "output", "value", "bound", "result"], rows: rows)
  }

  func outputsTable() -> String {
    let rows = outputs.map { output in
      let classifier = output.classifier
      return Self.row(
        [Markup.escaped(output.name), "\(output.elements)"]
          + [output.cosine, output.maxAbsError, output.meanAbsError, output.snrDB].map(Self.cell)
          + [classifier?.top1Agreement, classifier?.top5Agreement, classifier?.referenceAccuracy,
             classifier?.candidateAccuracy, classifier?.top1Drop].map { $0.map(Self.cell) ?? "" })
    }
    let header = [
      "output", "elements", "cosine", "max abs error", "mean abs error", "SNR (dB)", "top-1 agreement (%)",
      "top-5 agreement (%)", "reference accuracy (%)", "candidate accuracy (%)", "top-1 drop (points)",
    ]
    return Self.table(title: "Outputs", header: header, rows: rows)
  }

  /// The worst `chartedLayers` layers' added error; nil without the per-layer diagnosis.
  func layersChart() -> String? {
    guard let layers else { return nil }
    let shown = layers.prefix(Self.chartedLayers)
    let bars = shown.map { SVGChart.Bar(label: "\($0.node) (\($0.opType))", value: $0.addedError) }
    return """
      <h2>Per-layer added error</h2>
      <p>The \(shown.count) worst of \(layers.count) matched layers by the relative error each adds.</p>
      \(SVGChart.horizontalBars(bars))
      """
  }

  /// The absolute error distribution of the output with the lowest cosine; nil when no
  /// output has a histogram.
  func errorHistogram() -> String? {
    let measured = outputs.filter { $0.errorHistogram != nil }
    let cosine = { (output: OutputMetrics) in output.cosine.isNaN ? -Double.infinity : output.cosine }
    guard let worst = measured.min(by: { cosine($0) < cosine($1) }),
      let histogram = worst.errorHistogram
    else { return nil }
    return """
      <h2>Absolute error of output <code>\(Markup.escaped(worst.name))</code></h2>
      <p>|reference − candidate| of its \(histogram.total) elements, log-spaced bins (cosine \(ThresholdCheck.format(worst.cosine))).</p>
      \(SVGChart.histogram(histogram))
      """
  }

  static func table(title: String, header: [String], rows: [String]) -> String {
    let head = "<tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr>"
    return "<h2>\(title)</h2>\n<table>\n\(head)\n\(rows.joined(separator: "\n"))\n</table>"
  }

  /// A table row of cells that are HTML already.
  static func row(_ cells: [String]) -> String { "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>" }

  static func cell(_ value: Double) -> String { #"<span class="number">\#(ThresholdCheck.format(value))</span>"# }
}
