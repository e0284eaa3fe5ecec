// [yolo]: the detection head's raw input becomes a graph output; its decoding parameters
// become model metadata.

import KilnIR

/// A `[yolo]` layer: the output that carries its raw input, and how to decode it.
struct YoloLayer {
  var index: Int
  var output: Value
  /// Every anchor of the cfg as (width, height) pairs in input pixels.
  var anchors: [Float]
  /// The anchors (indices into the pairs) this layer predicts with.
  var mask: [Int]
  var classes: Int
  var scaleXY: Float

  /// `darknet.yolo.<index>.<key>` entries describing the layer, for the model's metadata_props.
  var metadata: [MetadataEntry] {
    let prefix = "darknet.yolo.\(index)."
    let entries = [
      ("output", output.name),
      ("anchors", anchors.map { $0.formatted }.joined(separator: ",")),
      ("mask", mask.map(String.init).joined(separator: ",")),
      ("classes", String(classes)),
      ("scale_x_y", scaleXY.formatted),
    ]
    return entries.map { MetadataEntry(key: prefix + $0.0, value: $0.1) }
  }
}

extension DarknetConverter {
  /// `[yolo]`: an Identity `yolo_<index>` over its input `[1, len(mask)*(5+classes), H, W]`,
  /// kept raw (no sigmoid, exp or anchors applied) and made a graph output.
  mutating func yolo(_ index: Int, _ section: DarknetSection, _ input: LayerOutput) throws -> LayerOutput {
    let classes = try Self.positive(section, "classes", default: 20)
    let anchors = try section.floats("anchors") ?? []
    guard !anchors.isEmpty, anchors.count % 2 == 0 else {
      throw KilnError.badInput("anchors= must list width,height pairs; found \(anchors.count) numbers")
    }
    let mask = try section.ints("mask") ?? Array(0..<anchors.count / 2)
    guard mask.allSatisfy({ (0..<anchors.count / 2).contains($0) }) else {
      throw KilnError.badInput("mask=\(mask.map(String.init).joined(separator: ",")) names anchors outside the \(anchors.count / 2) given")
    }
    let x = mapped(input, index)
    guard x.channels == mask.count * (5 + classes) else {
      throw KilnError.badInput(
        "its input has \(x.channels) channels but \(mask.count) anchors of 5 + \(classes) classes need \(mask.count * (5 + classes))")
    }
    var result = x
    result.value = emitter.node("Identity", "yolo_\(index)", [x.value], dims: x.dims)
    yoloLayers.append(
      YoloLayer(
        index: index, output: result.value, anchors: anchors, mask: mask, classes: classes,
        scaleXY: try section.float("scale_x_y", default: 1)))
    return result
  }
}

extension Float {
  /// The shortest text that reads back as this number (`10`, not `10.0`).
  fileprivate var formatted: String {
    rounded() == self && abs(self) < 1e7 ? String(Int(self)) : String(self)
  }
}
