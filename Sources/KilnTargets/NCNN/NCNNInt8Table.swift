// ncnn's int8 calibration table (the format of ncnn2table, read by ncnn2int8).

import Foundation
import KilnQuant

/// The int8 table of an ncnn network, from Kiln's activation ranges:
///
///     LAYER_param_0 s1 s2 ...     weight scales, one per output channel (per group for
///                                 ConvolutionDepthWise): 127 / max|w|, or 31 / max|w| for
///                                 3x3 stride-1 undilated convolutions (ncnn's 6-bit winograd)
///     LAYER s                     the scale of the layer's input blob: 127 / max(|min|, |max|)
///
/// for every Convolution, ConvolutionDepthWise and InnerProduct, as ncnn2table writes them.
/// Layers whose input has no range are left out (ncnn2int8 keeps them in float).
struct NCNNInt8Table {
  var text: String
  /// The quantizable layers whose input had no range.
  var unquantized: [String]

  static let quantizable: Set<String> = ["Convolution", "ConvolutionDepthWise", "InnerProduct"]

  init(_ network: NCNNNetwork, ranges: [String: TensorRange]) {
    var weightLines: [String] = []
    var inputLines: [String] = []
    var missing: [String] = []
    // A Split's outputs are copies of its input, which is the tensor the ranges name.
    let copied = Dictionary(
      network.layers.filter { $0.type == "Split" }.flatMap { split in split.outputs.map { (ObjectIdentifier($0), split.inputs[0]) } },
      uniquingKeysWith: { first, _ in first })
    for layer in network.layers where Self.quantizable.contains(layer.type) {
      guard let blob = layer.inputs.first, let range = ranges[(copied[ObjectIdentifier(blob)] ?? blob).name],
        range.absoluteMaximum > 0
      else {
        missing.append(layer.name)
        continue
      }
      weightLines.append(Self.line("\(layer.name)_param_0", Self.weightScales(layer)))
      inputLines.append(Self.line(layer.name, [127 / range.absoluteMaximum]))
    }
    text = (weightLines + inputLines).map { $0 + "\n" }.joined()
    unquantized = missing
  }

  /// One scale per output channel (per group for depthwise) of the layer's first weight.
  static func weightScales(_ layer: NCNNLayer) -> [Float] {
    guard let weight = layer.weights.first?.values else { return [] }
    let groups: Int
    if layer.type == "ConvolutionDepthWise", case .int(let group) = layer.param(7) {
      groups = group
    } else if case .int(let outputs) = layer.param(0) {
      groups = outputs
    } else {
      return []
    }
    let limit: Float = layer.type == "Convolution" && isWinograd(layer) ? 31 : 127
    let size = weight.count / max(groups, 1)
    return (0..<groups).map { group in
      let absmax = weight[group * size..<(group + 1) * size].reduce(0) { max($0, abs($1)) }
      return absmax == 0 ? 1 : limit / absmax
    }
  }

  /// A 3x3 convolution of stride 1 and dilation 1, which ncnn runs in 6-bit winograd.
  private static func isWinograd(_ layer: NCNNLayer) -> Bool {
    [1: 3, 11: 3, 2: 1, 12: 1, 3: 1, 13: 1].allSatisfy { id, expected in layer.param(id) == .int(expected) }
  }

  private static func line(_ name: String, _ scales: [Float]) -> String {
    ([name] + scales.map { String(format: "%f", $0) }).joined(separator: " ")
  }
}

extension NCNNLayer {
  /// The value of param `id`, if set.
  func param(_ id: Int) -> NCNNParam.Value? { params.first { $0.id == id }?.value }
}
