// The HTML validation report: verdict, check rows, the per-layer chart, escaping, no links.

import Foundation
import Testing

@testable import KilnValidate

struct HTMLReportTests {
  private func layer(_ node: String, added: Double) -> LayerMetrics {
    let match = TensorMatch(tensor: node + "_out", referenceTensor: node + "_out", node: node, opType: "Conv", inputs: [])
    let metrics = OutputMetrics(name: match.tensor, elements: 4, cosine: 0.9, maxAbsError: 1, meanAbsError: 0.5, snrDB: 20)
    return LayerMetrics(match: match, metrics: metrics, inputError: 0.1 - added)
  }

  private func report(layers: Int) throws -> ValidationReport {
    var histogram = ErrorHistogram()
    for error in [0, 1e-3, 0.01, 0.5] { histogram.add(error) }
    let output = OutputMetrics(
      name: "logits", elements: 4, cosine: 0.95, maxAbsError: 0.5, meanAbsError: 0.13, snrDB: 12, errorHistogram: histogram)
    let checks = try ValidationThresholds(minCosine: 0.99, maxAbsError: 1).checks(of: [output])
    let ranked = LayerMetrics.ranked([layer(#"a<b&"c""#, added: 0.5)] + (0..<layers - 1).map { layer("conv\($0)", added: 0.01) })
    return ValidationReport(
      reference: "float.onnx", candidate: "int8 <x>.onnx", samples: 1, outputs: [output], checks: checks, layers: ranked)
  }

  /// The text of the `<svg>` with class `name`.
  private func svg(_ name: String, in page: String) throws -> Substring {
    let start = try #require(page.range(of: #"<svg class="\#(name)""#))
    let end = try #require(page.range(of: "</svg>", range: start.upperBound..<page.endIndex))
    return page[start.lowerBound..<end.upperBound]
  }

  private func count(_ needle: String, in text: Substring) -> Int { text.components(separatedBy: needle).count - 1 }

  @Test("verdict and both models in the title, a row per check with its result, escaped model strings, no URL")
  func summary() throws {
    let page = try report(layers: 3).html()
    #expect(page.contains("<title>kiln validate FAILED: float.onnx vs int8 &lt;x&gt;.onnx</title>"))
    #expect(page.contains(#"<span class="fail">FAILED</span>"#))
    #expect(page.contains(#"<td>cosine</td><td>logits</td><td><span class="number">0.95</span></td><td>≥ 0.99</td><td><span class="fail">FAIL</span></td>"#))
    #expect(page.contains(#"<td>maxAbsError</td><td>logits</td><td><span class="number">0.5</span></td><td>≤ 1</td><td><span class="pass">pass</span></td>"#))
    #expect(page.contains("a&lt;b&amp;&quot;c&quot; (Conv)"))
    #expect(!page.contains(#"a<b&"c""#))
    #expect(!page.contains("http"))
    #expect(!page.contains("<script"))
  }

  @Test("one bar per layer shown, the worst 20 at most, worst first; a column per bin in the histogram")
  func charts() throws {
    let few = try report(layers: 3).html()
    #expect(count("<rect", in: try svg("bars", in: few)) == 3)
    let many = try report(layers: 30).html()
    let bars = try svg("bars", in: many)
    #expect(count("<rect", in: bars) == ValidationReport.chartedLayers)
    #expect(try #require(bars.range(of: "a&lt;b")).lowerBound < (try #require(bars.range(of: "conv0"))).lowerBound)
    #expect(many.contains("The 20 worst of 30 matched layers"))
    #expect(count("<rect", in: try svg("histogram", in: many)) == ErrorHistogram.defaultBinCount + 2)
  }

  @Test("without the per-layer diagnosis or thresholds: no chart, and a passing verdict")
  func minimal() throws {
    let output = OutputMetrics(name: "y", elements: 1, cosine: 1, maxAbsError: 0, meanAbsError: 0, snrDB: .infinity)
    let page = ValidationReport(reference: "a.onnx", candidate: "b.onnx", samples: 1, outputs: [output], checks: []).html()
    #expect(page.contains(#"<span class="pass">PASSED</span>"#))
    #expect(page.contains("No thresholds were given."))
    #expect(!page.contains("<svg"))
  }
}
