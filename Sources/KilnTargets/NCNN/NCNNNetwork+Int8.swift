// An ncnn network with calibrated layers in int8, as ncnn2int8 makes it from a table.

extension NCNNNetwork {
  /// This network with every layer of `table` quantized as ncnn2int8 does: weights to int8
  /// per output channel (per group for ConvolutionDepthWise),
  ///
  ///     q = clamp(round(w · scale), -127, 127)
  ///
  /// stored with the int8 tag, `8=int8_scale_term` set (2 for Convolution and InnerProduct,
  /// 1 for ConvolutionDepthWise: one weight scale per group) and, after the bias, the
  /// weight scales and the input blob's scale, the order ncnn's `load_model` reads them.
  /// ncnn quantizes the input by its scale at run time and dequantizes the int32 sums, so
  /// every blob between layers stays float32. Layers not in the table are left in float.
  func quantized(by table: NCNNInt8Table) -> NCNNNetwork {
    let entries = Dictionary(table.entries.map { ($0.layer, $0) }, uniquingKeysWith: { first, _ in first })
    var network = self
    network.layers = layers.map { layer in
      guard let entry = entries[layer.name] else { return layer }
      var copy = layer
      copy.quantize(weightScales: entry.weightScales, inputScale: entry.inputScale)
      return copy
    }
    return network
  }
}

extension NCNNLayer {
  /// Quantizes the first weight (float, `weightScales.count` equal chunks) to int8 and
  /// appends the scales; a layer whose weight does not split so is left as it is.
  mutating func quantize(weightScales: [Float], inputScale: Float) {
    guard case .tagged(let weight)? = weights.first, !weightScales.isEmpty, weight.count % weightScales.count == 0
    else { return }
    let chunk = weight.count / weightScales.count
    weights[0] = .int8(weight.indices.map { Self.int8(weight[$0] * weightScales[$0 / chunk]) })
    weights += [.raw(weightScales), .raw([inputScale])]
    params.append(.int(8, type == "ConvolutionDepthWise" ? 1 : 2))
  }

  /// ncnn's float2int8: rounded half away from zero and clamped to ±127 (NaN to 0).
  static func int8(_ value: Float) -> Int8 {
    guard !value.isNaN else { return 0 }
    return Int8(max(-127, min(127, value.rounded())))
  }
}
