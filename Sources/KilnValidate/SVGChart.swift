// The charts of the HTML validation report, as inline SVG: shapes and text only, no scripts.

import Foundation
import KilnIR

/// Builds self-contained `<svg>` elements; every label is escaped, every bar is one `<rect>`
/// with a `<title>` tooltip.
enum SVGChart {
  /// One bar of a horizontal bar chart.
  struct Bar {
    var label: String
    var value: Double
  }

  static let labelWidth = 300
  static let barArea = 400
  static let rowHeight = 20

  /// A bar per entry, top to bottom, labels on the left and values on the right; lengths are
  /// proportional to the largest finite value (infinite ones fill the area, others below 0 are empty).
  static func horizontalBars(_ bars: [Bar]) -> String {
    let largest = bars.map(\.value).filter { $0.isFinite && $0 > 0 }.max() ?? 1
    let width = labelWidth + barArea + 90
    var parts = [open(class: "bars", width: width, height: bars.count * rowHeight + 4)]
    for (row, bar) in bars.enumerated() {
      let y = row * rowHeight + 2
      let length = bar.value.isInfinite && bar.value > 0 ? Double(barArea) : Swift.max(0, bar.value) / largest * Double(barArea)
      let value = ThresholdCheck.format(bar.value)
      parts.append(text(Markup.escaped(bar.label), x: labelWidth - 6, y: y + 14, anchor: "end"))
      parts.append(rect(x: Double(labelWidth), y: Double(y + 2), width: length.isFinite ? length : 0, height: Double(rowHeight - 4),
        tooltip: "\(bar.label): \(value)"))
      parts.append(text(value, x: labelWidth + barArea + 6, y: y + 14, anchor: "start"))
    }
    parts.append("</svg>")
    return parts.joined(separator: "\n")
  }

  static let columnWidth = 14
  static let plotHeight = 160

  /// Columns for the underflow, every bin and the overflow of `histogram`, heights
  /// proportional to the largest count, with the decades the bin edges reach on the x axis.
  static func histogram(_ histogram: ErrorHistogram) -> String {
    let columns = [histogram.underflow] + histogram.counts + [histogram.overflow]
    let largest = Double(Swift.max(1, columns.max() ?? 1))
    let left = 50
    let top = 20
    var parts = [open(class: "histogram", width: left + columns.count * columnWidth + 40, height: plotHeight + 56)]
    for (index, count) in columns.enumerated() {
      let height = Double(count) / largest * Double(plotHeight)
      let x = Double(left + index * columnWidth)
      parts.append(rect(x: x, y: Double(plotHeight + top) - height, width: Double(columnWidth - 2), height: height,
        tooltip: "\(range(ofColumn: index, in: histogram)): \(count)"))
    }
    for (index, label) in axisLabels(histogram) {
      parts.append(text(label, x: left + index * columnWidth, y: plotHeight + top + 16, anchor: "middle"))
    }
    parts.append(text("largest count \(Int(largest))", x: left, y: 12, anchor: "start"))
    parts.append("</svg>")
    return parts.joined(separator: "\n")
  }

  /// "[1e-05, 2e-05)" for a bin column, "< 1e-08" and "≥ 10000" for the outer ones.
  static func range(ofColumn column: Int, in histogram: ErrorHistogram) -> String {
    let format = ThresholdCheck.format
    if column == 0 { return "< \(format(histogram.lowerBound))" }
    if column > histogram.counts.count { return "≥ \(format(histogram.upperBound))" }
    return "[\(format(histogram.edge(column - 1))), \(format(histogram.edge(column))))"
  }

  /// The column boundaries (counting the underflow column) that fall on a power of ten, every
  /// third decade at most, with "1e-8"-style labels.
  static func axisLabels(_ histogram: ErrorHistogram) -> [(Int, String)] {
    var labels: [(Int, String)] = []
    for index in 0...histogram.counts.count {
      let exponent = (Foundation.log10(histogram.edge(index)) * 1000).rounded() / 1000
      guard exponent == exponent.rounded(), labels.last.map({ index - $0.0 >= 6 }) ?? true else { continue }
      labels.append((index + 1, "1e\(Int(exponent))"))
    }
    return labels
  }

  static func open(class name: String, width: Int, height: Int) -> String {
    #"<svg class="\#(name)" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" role="img">"#
  }

  static func rect(x: Double, y: Double, width: Double, height: Double, tooltip: String) -> String {
    #"<rect x="\#(number(x))" y="\#(number(y))" width="\#(number(width))" height="\#(number(height))"><title>\#(Markup.escaped(tooltip))</title></rect>"#
  }

  /// `content` must be escaped already.
  static func text(_ content: String, x: Int, y: Int, anchor: String) -> String {
    #"<text x="\#(x)" y="\#(y)" text-anchor="\#(anchor)">\#(content)</text>"#
  }

  static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}
