// A model as OpenVINO IR layers and .bin weights, built node by node through the op mappings.

import Foundation
import KilnIR
import KilnPasses
import KilnQuant

/// The layers and weights of an OpenVINO IR, assembled in graph order.
///
/// Graph inputs become Parameters, constants become Consts the first time a layer reads them
/// (float16 with a decompressing Convert under `float16Weights`), every node becomes the
/// layers its mapping adds, and every graph output a Result. Output ports carry the ONNX value
/// names, so OpenVINO finds inputs and outputs by the names ONNX gave them.
final class OpenVINONetwork {
  /// How the network is written.
  struct Options {
    /// Store float weights as float16 followed by a Convert to float32 (OpenVINO's compressed
    /// weights).
    var float16Weights = false
    /// Activation ranges by value name: with them, the activations and weights that
    /// Convolutions and MatMuls read pass through FakeQuantize (int8).
    var int8Ranges: [String: TensorRange]?
    /// The model's default-domain opset, for attribute defaults that changed (Softmax's axis).
    var opset = 13
  }

  let name: String
  let options: Options
  private(set) var layers: [OpenVINOLayer] = []
  private(set) var weights = OpenVINOWeights()
  private var ports: [ObjectIdentifier: OpenVINOPort] = [:]
  private var quantized: [ObjectIdentifier: OpenVINOPort] = [:]
  private var layerNames = NameIndex(taken: [])
  /// The name of the node being translated; the layers it adds are named after it.
  private(set) var nodeName = ""
  /// Whether a value nothing has produced yet is read through a stand-in Parameter (when one
  /// node is translated alone, to check it).
  private let standIns: Bool

  private init(name: String, options: Options, standIns: Bool) {
    self.name = name
    self.options = options
    self.standIns = standIns
  }

  /// The network of `model`, which the OpenVINO target's check has accepted.
  convenience init(model: Model, options: Options) throws {
    self.init(name: model.graph.name.isEmpty ? "model" : model.graph.name, options: options, standIns: false)
    let graph = model.graph
    do throws(TargetRefusal) {
      for input in graph.inputs where input.constant == nil { try parameter(input) }
    } catch {
      throw KilnError.badInput(error.reason)
    }
    for (index, node) in graph.nodes.enumerated() {
      guard let mapping = OpenVINOMapping.mapping(for: node) else {
        throw KilnError.badInput("OpenVINO has no such op", node: node.name, op: node.qualifiedOpType)
      }
      nodeName = node.name.isEmpty ? "\(node.opType)_\(index)" : node.name
      do throws(TargetRefusal) {
        try mapping.emit(node, self)
      } catch {
        throw KilnError.badInput(error.reason, node: node.name, op: node.qualifiedOpType)
      }
    }
    do throws(TargetRefusal) {
      for output in graph.outputs {
        add("Result", name: "\(output.name)/sink_port_0", inputs: [try port(output)], outputs: [])
      }
    } catch {
      throw KilnError.badInput(error.reason)
    }
  }

  /// Why `mapping` cannot translate `node`, or nil when it can: the node translated alone,
  /// its computed inputs read through stand-in Parameters.
  static func refusal(of node: Node, by mapping: OpenVINOMapping) -> String? {
    let network = OpenVINONetwork(name: "check", options: Options(), standIns: true)
    network.nodeName = node.name
    do throws(TargetRefusal) {
      try mapping.emit(node, network)
      return nil
    } catch {
      return error.reason
    }
  }

  // MARK: Layers

  /// Appends a layer named `name` (made unique) and returns it.
  @discardableResult
  func add(
    _ type: String, opset: Int = 1, name: String, attributes: [OpenVINOAttribute] = [], inputs: [OpenVINOPort],
    outputs: [OpenVINOTensor], isDecompression: Bool = false
  ) -> OpenVINOLayer {
    let layer = OpenVINOLayer(
      id: layers.count, name: layerNames.claim(name), type: type, version: "opset\(opset)", attributes: attributes,
      inputs: inputs, outputs: outputs, isDecompression: isDecompression)
    layers.append(layer)
    return layer
  }

  /// Adds the layer that gives `node`'s first `count` outputs, named after the node, and
  /// returns its first output. (The target refuses models that read any other output.)
  @discardableResult
  func emit(
    _ node: Node, _ type: String, opset: Int = 1, _ attributes: [OpenVINOAttribute] = [], inputs: [OpenVINOPort],
    outputs count: Int = 1
  ) throws(TargetRefusal) -> OpenVINOPort {
    var values: [Value] = []
    for case let value? in node.outputs.prefix(count) { values.append(value) }
    guard values.count == count else { throw TargetRefusal("it has fewer than \(count) outputs") }
    var tensors: [OpenVINOTensor] = []
    for value in values { tensors.append(try value.openVINOTensor()) }
    let layer = add(type, opset: opset, name: nodeName, attributes: attributes, inputs: inputs, outputs: tensors)
    for (index, value) in values.enumerated() { ports[ObjectIdentifier(value)] = layer.output(index) }
    return layer.output(0)
  }

  /// Adds a layer on the way to the node's result, named `NODE/suffix`, carrying `output`
  /// (its names dropped), and returns its output.
  func step(
    _ suffix: String, _ type: String, opset: Int = 1, _ attributes: [OpenVINOAttribute] = [], inputs: [OpenVINOPort],
    output: OpenVINOTensor
  ) -> OpenVINOPort {
    let tensor = OpenVINOTensor(type: output.type, dims: output.dims)
    return add(type, opset: opset, name: "\(nodeName)/\(suffix)", attributes: attributes, inputs: inputs, outputs: [tensor])
      .output(0)
  }

  // MARK: Values

  /// The port that carries `value`: the layer output that computes it, or a Const of it.
  func port(_ value: Value) throws(TargetRefusal) -> OpenVINOPort {
    if let port = ports[ObjectIdentifier(value)] { return port }
    if let tensor = value.constant {
      let port = try constant(tensor, name: value.name)
      ports[ObjectIdentifier(value)] = port
      return port
    }
    guard standIns else { throw TargetRefusal("'\(value.name)' is read before anything computes it") }
    return try parameter(value)
  }

  /// A Parameter for the graph input `value`.
  @discardableResult
  private func parameter(_ value: Value) throws(TargetRefusal) -> OpenVINOPort {
    let tensor = try value.openVINOTensor()
    let shape = tensor.dims.map { $0 < 0 ? "?" : String($0) }.joined(separator: ",")
    let port = add(
      "Parameter", name: value.name,
      attributes: [OpenVINOAttribute("shape", shape), OpenVINOAttribute("element_type", tensor.type.rawValue)],
      inputs: [], outputs: [tensor]
    ).output(0)
    ports[ObjectIdentifier(value)] = port
    return port
  }

  /// `port(value)`, through a FakeQuantize of 256 levels over the value's calibrated range
  /// (widened to hold 0) when the network is int8 and the value has a range.
  func activation(_ value: Value) throws(TargetRefusal) -> OpenVINOPort {
    let port = try port(value)
    guard value.constant == nil, let range = options.int8Ranges?[value.name] else { return port }
    if let done = quantized[ObjectIdentifier(value)] { return done }
    let (low, high) = (min(range.min, 0), max(range.max, 0))
    guard high > low else { return port }
    let bounds = [floats([low], dims: [], name: "\(value.name)/fq_low"), floats([high], dims: [], name: "\(value.name)/fq_high")]
    let tensor = OpenVINOTensor(type: port.tensor.type, dims: port.tensor.dims)
    let fakeQuantized = add(
      "FakeQuantize", name: "\(value.name)/fq", attributes: [.int("levels", 256), .numpyBroadcast],
      inputs: [port] + bounds + bounds, outputs: [tensor]
    ).output(0)
    quantized[ObjectIdentifier(value)] = fakeQuantized
    return fakeQuantized
  }

  // MARK: Constants

  /// A Const of `tensor`; float32 data goes through `weight`, so that it is compressed
  /// under `float16Weights`.
  func constant(_ tensor: Tensor, name: String) throws(TargetRefusal) -> OpenVINOPort {
    if tensor.dataType == .float { return weight(try tensor.targetFloats("'\(name)'"), dims: tensor.dims, name: name) }
    guard let type = OpenVINOElementType(tensor.dataType) else {
      throw TargetRefusal("the constant '\(name)' is \(tensor.dataType.name), which the OpenVINO target does not write")
    }
    guard let bytes = try? tensor.rawData() else { throw TargetRefusal("the constant '\(name)' cannot be read") }
    return const(bytes, type: type, dims: tensor.dims, name: name)
  }

  /// A Const of int64 values (shapes, axes, orders), named `NODE/suffix`; 1-D unless `dims`
  /// says otherwise.
  func ints(_ values: [Int], dims: [Int64]? = nil, _ suffix: String) -> OpenVINOPort {
    const(.littleEndian(values.map(Int64.init)), type: .i64, dims: dims ?? [Int64(values.count)], name: "\(nodeName)/\(suffix)")
  }

  /// A float32 Const that is never compressed (bounds, ranges).
  func floats(_ values: [Float], dims: [Int64], name: String) -> OpenVINOPort {
    const(.littleEndian(values.map(\.bitPattern)), type: .f32, dims: dims, name: name)
  }

  /// A float32 weight: a Const, or under `float16Weights` a float16 Const and the Convert
  /// that decompresses it, as OpenVINO's own converter writes compressed weights. Values
  /// beyond float16's range keep the weight in float32.
  func weight(_ values: [Float], dims: [Int64], name: String) -> OpenVINOPort {
    let limit = Float(Float16.greatestFiniteMagnitude)
    guard options.float16Weights, values.allSatisfy({ abs($0) <= limit }) else {
      return floats(values, dims: dims, name: name)
    }
    let compressed = const(.littleEndian(values.map { Float16($0).bitPattern }), type: .f16, dims: dims, name: "\(name)/compressed")
    return add(
      "Convert", name: name, attributes: [OpenVINOAttribute("destination_type", "f32")], inputs: [compressed],
      outputs: [OpenVINOTensor(type: .f32, dims: dims)], isDecompression: true
    ).output(0)
  }

  /// The weight of a Convolution or MatMul: `weight(values)`, and when the network is int8 a
  /// FakeQuantize of 255 levels over [-m, m] per output channel, m the channel's largest
  /// magnitude (symmetric per-channel int8, as NNCF quantizes weights).
  func quantizedWeight(_ values: [Float], dims: [Int64], name: String, channels: WeightChannels) -> OpenVINOPort {
    let port = weight(values, dims: dims, name: name)
    guard options.int8Ranges != nil else { return port }
    let (magnitudes, rangeDims) = channels.magnitudes(of: values, dims: dims)
    let high = floats(magnitudes.map { $0 == 0 ? 1 : $0 }, dims: rangeDims, name: "\(name)/fq_high")
    let low = floats(magnitudes.map { $0 == 0 ? -1 : -$0 }, dims: rangeDims, name: "\(name)/fq_low")
    return add(
      "FakeQuantize", name: "\(name)/fq", attributes: [.int("levels", 255), .numpyBroadcast],
      inputs: [port, low, high, low, high], outputs: [OpenVINOTensor(type: .f32, dims: dims)]
    ).output(0)
  }

  private func const(_ bytes: Data, type: OpenVINOElementType, dims: [Int64], name: String) -> OpenVINOPort {
    let (offset, size) = weights.store(bytes)
    let attributes = [
      OpenVINOAttribute("element_type", type.rawValue), OpenVINOAttribute("shape", dims.map(String.init).joined(separator: ", ")),
      .int("offset", offset), .int("size", size),
    ]
    return add("Const", name: name, attributes: attributes, inputs: [], outputs: [OpenVINOTensor(type: type, dims: dims)])
      .output(0)
  }
}
