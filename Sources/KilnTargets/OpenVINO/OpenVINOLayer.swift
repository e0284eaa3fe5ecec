// One layer of an OpenVINO IR: an op with its attributes, the ports it reads and the tensors
// it produces.

/// A tensor an output port carries: its element type, its dims (-1 for a dynamic one) and the
/// tensor names it is known by (the ONNX value names).
struct OpenVINOTensor: Equatable, Sendable {
  var type: OpenVINOElementType
  var dims: [Int64]
  var names: [String] = []
}

/// An output port of a layer, as another layer reads it.
struct OpenVINOPort: Equatable, Sendable {
  /// The id of the layer that produces it.
  var layer: Int
  /// The port's id in that layer: its inputs are numbered first, then its outputs.
  var port: Int
  /// What it carries.
  var tensor: OpenVINOTensor
}

/// One `name="value"` of a layer's `<data>` element, in OpenVINO's spelling.
struct OpenVINOAttribute: Equatable, Sendable {
  var name: String
  var value: String

  init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }

  static func int(_ name: String, _ value: Int) -> OpenVINOAttribute { .init(name, String(value)) }
  static func bool(_ name: String, _ value: Bool) -> OpenVINOAttribute { .init(name, value ? "true" : "false") }
  static func float(_ name: String, _ value: Float) -> OpenVINOAttribute { .init(name, Double(value).description) }
  /// A list as OpenVINO writes it: `1, 1`.
  static func ints(_ name: String, _ values: [Int]) -> OpenVINOAttribute {
    .init(name, values.map(String.init).joined(separator: ", "))
  }
  /// `auto_broadcast="numpy"`, the broadcasting of ONNX's elementwise ops.
  static let numpyBroadcast = OpenVINOAttribute("auto_broadcast", "numpy")
}

/// A layer of the IR.
struct OpenVINOLayer: Sendable {
  var id: Int
  var name: String
  /// The op type in OpenVINO's spelling (`Convolution`, `Const`, `SoftMax`, ...).
  var type: String
  /// The opset that defines this version of the op (`opset1`, `opset8`, ...).
  var version: String
  var attributes: [OpenVINOAttribute]
  /// The ports it reads, in input order.
  var inputs: [OpenVINOPort]
  /// What its outputs carry, in output order.
  var outputs: [OpenVINOTensor]
  /// Whether it is the Convert that decompresses a float16 weight (marked in `rt_info`, so
  /// that OpenVINO keeps the weight compressed).
  var isDecompression = false

  /// The port of output `index`.
  func output(_ index: Int) -> OpenVINOPort {
    OpenVINOPort(layer: id, port: inputs.count + index, tensor: outputs[index])
  }
}
