// Which cfg sections and options the Darknet frontend converts; everything else is listed at once.

import KilnIR

/// The layer types Kiln converts, and the check that finds every section it cannot.
enum DarknetLayerSupport {
  /// Section types with a conversion (`conv` is darknet's short name for `convolutional`).
  static let types: Set<String> = [
    "convolutional", "conv", "connected", "maxpool", "avgpool", "softmax", "route", "shortcut",
    "upsample", "yolo", "dropout",
  ]

  /// The activations a layer may name.
  static let activations: Set<String> = ["linear", "leaky", "relu", "logistic", "swish", "mish"]

  /// Options that change what a layer computes in ways Kiln does not reproduce, per type.
  private static let unsupportedOptions: [String: [String]] = [
    "convolutional": ["binary", "xnor", "flipped", "antialiasing", "share_index", "stride_x", "stride_y", "deform"],
    "maxpool": ["stride_x", "stride_y", "maxpool_depth", "antialiasing", "out_channels"],
    "shortcut": ["weights_type", "weights_normalization", "alpha", "beta"],
    "upsample": ["scale"],
    "softmax": ["temperature", "spatial", "tree"],
  ]

  /// Why each layer cannot be converted, one line per problem, empty when all can.
  static func problems(in layers: [DarknetSection]) -> [String] {
    layers.enumerated().flatMap { index, section in
      problems(of: section).map { "layer \(index) [\(section.type)] on line \(section.line): \($0)" }
    }
  }

  private static func problems(of section: DarknetSection) -> [String] {
    guard types.contains(section.type) else { return ["this layer type is not supported"] }
    let type = section.type == "conv" ? "convolutional" : section.type
    var found = (unsupportedOptions[type] ?? []).compactMap { key in
      section.option(key).map { "option \(key)=\($0.value) is not supported" }
    }
    if let activation = section.option("activation")?.value, !activations.contains(activation) {
      found.append("activation '\(activation)' is not supported (supported: \(activations.sorted().joined(separator: ", ")))")
    }
    if type == "softmax", let groups = section.option("groups")?.value, groups != "1" {
      found.append("softmax over groups=\(groups) is not supported")
    }
    if type == "upsample", let stride = Int(section.string("stride", default: "2")), stride < 0 {
      found.append("a negative stride (downsampling) is not supported")
    }
    if type == "shortcut", section.option("from")?.value.contains(",") == true {
      found.append("a shortcut from several layers is not supported")
    }
    return found
  }
}
