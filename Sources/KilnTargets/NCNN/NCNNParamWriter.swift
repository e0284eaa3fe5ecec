// The .param text of an ncnn network.

/// Writes ncnn's .param text:
///
///     7767517
///     LAYER_COUNT BLOB_COUNT
///     Type name input_count output_count inputs... outputs... id=value ...
///
/// Ints are plain; floats always carry a `.` or an exponent (ncnn tells them apart that way);
/// arrays are `-(23300+id)=count,v1,v2,...`.
enum NCNNParamWriter {
  /// The magic number on the first line.
  static let magic = 7_767_517

  /// The whole .param text of `network`.
  static func text(_ network: NCNNNetwork) -> String {
    var lines = ["\(magic)", "\(network.layers.count) \(network.blobCount)"]
    lines += network.layers.map { line($0, network) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// One layer's line.
  static func line(_ layer: NCNNLayer, _ network: NCNNNetwork) -> String {
    let fields = [layer.type, layer.name, "\(layer.inputs.count)", "\(layer.outputs.count)"]
      + layer.inputs.map(network.blob) + layer.outputs.map(network.blob) + layer.params.map(text)
    return fields.joined(separator: " ")
  }

  /// `id=value` of one param.
  static func text(_ param: NCNNParam) -> String {
    switch param.value {
    case .int(let value): "\(param.id)=\(value)"
    case .float(let value): "\(param.id)=\(text(value))"
    case .ints(let values): "\(-23300 - param.id)=" + ([values.count] + values).map(String.init).joined(separator: ",")
    case .floats(let values): "\(-23300 - param.id)=" + (["\(values.count)"] + values.map(text)).joined(separator: ",")
    }
  }

  /// A float as ncnn reads one: the shortest text that rounds back to it (at most 15
  /// characters, ncnn's limit), infinities as the largest finite float.
  static func text(_ value: Float) -> String {
    value.isInfinite ? (value < 0 ? "-" : "") + Float.greatestFiniteMagnitude.description : value.description
  }
}
