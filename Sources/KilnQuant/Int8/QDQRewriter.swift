// The QuantizeLinear/DequantizeLinear pairs and quantized initializers of one graph.

import KilnIR
import KilnPasses
import KilnRuntime

/// Adds Q/DQ nodes and quantized initializers to a graph, once per tensor: an activation read
/// by several quantized nodes gets one QuantizeLinear → DequantizeLinear pair, a weight shared
/// by several nodes one int8 initializer. New values get names no value of the model has.
final class QDQRewriter {
  private let graph: Graph
  private var names: NameIndex
  private let activationType: DataType
  private var activations: [ObjectIdentifier: Value] = [:]
  private var weights: [WeightKey: (value: Value, scales: [Float])] = [:]
  /// Float initializers whose readers were moved to a dequantized copy.
  private var replaced: [Value] = []

  private struct WeightKey: Hashable {
    let value: ObjectIdentifier
    let axis: Int?
  }

  init(graph: Graph, activationType: Int8QuantizationOptions.ActivationType) {
    self.graph = graph
    names = NameIndex(graph)
    self.activationType = activationType == .int8 ? .int8 : .uint8
  }

  /// The dequantized form of activation `value`, made just before `node` (its first quantized
  /// reader in node order) the first time it is asked for.
  func dequantizedActivation(_ value: Value, _ parameters: LinearQuantization, before node: Node) throws -> Value {
    if let made = activations[ObjectIdentifier(value)] { return made }
    let scale = try initializer("\(value.name)_scale", Tensor(HostTensor(scalar: parameters.scale)))
    let zero = try initializer(
      "\(value.name)_zero_point",
      activationType == .int8
        ? Tensor(HostTensor(scalar: Int8(parameters.zeroPoint)))
        : Tensor(HostTensor(scalar: UInt8(parameters.zeroPoint))))
    let quantized = Value(name: names.claim("\(value.name)_quantized"))
    graph.insert(
      Node(name: "\(value.name)_QuantizeLinear", opType: "QuantizeLinear", inputs: [value, scale, zero], outputs: [quantized]),
      before: node)
    let dequantized = dequantize(quantized, scale: scale, zero: zero, axis: nil, named: "\(value.name)_dequantized", before: node)
    activations[ObjectIdentifier(value)] = dequantized
    return dequantized
  }

  /// The dequantized int8 form of float32 initializer `value` (symmetric, per slice along
  /// `axis` or per tensor) and its scales, made before `node` the first time it is asked for.
  func dequantizedWeight(_ value: Value, axis: Int?, before node: Node) throws -> (value: Value, scales: [Float]) {
    let key = WeightKey(value: ObjectIdentifier(value), axis: axis)
    if let made = weights[key] { return made }
    guard let tensor = value.constant else { throw KilnError.internalError("weight '\(value.name)' is not a constant") }
    let dims = tensor.dims.map { Int($0) }
    let weights = QuantizedWeights(try HostTensor(tensor).scalars(as: Float.self), dims: dims, axis: axis)
    let quantized = try initializer("\(value.name)_quantized", Tensor(HostTensor(shape: dims, values: weights.values)))
    let (scale, zero) = try scaleAndZero(value.name, weights.scales, zero: Int8(0), perChannel: axis != nil)
    let result = (
      dequantize(quantized, scale: scale, zero: zero, axis: axis, named: "\(value.name)_dequantized", before: node),
      weights.scales
    )
    self.weights[key] = result
    replaced.append(value)
    return result
  }

  /// The dequantized int32 form of float32 bias `value` with scale `inputScale × weight
  /// scale`, made before `node`; nil when a value does not fit in int32.
  func dequantizedBias(_ value: Value, inputScale: Float, weightScales: [Float], before node: Node) throws -> Value? {
    guard let tensor = value.constant else { return nil }
    guard let bias = QuantizedBias(try HostTensor(tensor).scalars(as: Float.self), inputScale: inputScale, weightScales: weightScales)
    else { return nil }
    let quantized = try initializer("\(value.name)_quantized", Tensor(HostTensor(shape: tensor.dims.map { Int($0) }, values: bias.values)))
    let perChannel = bias.scales.count > 1
    let (scale, zero) = try scaleAndZero(value.name, bias.scales, zero: Int32(0), perChannel: perChannel)
    replaced.append(value)
    return dequantize(quantized, scale: scale, zero: zero, axis: perChannel ? 0 : nil, named: "\(value.name)_dequantized", before: node)
  }

  /// Drops the float initializers that no node reads any more (unless the graph returns them).
  func removeUnusedFloatInitializers() {
    let outputs = Set(graph.outputs.map(ObjectIdentifier.init))
    let unused = Set(
      replaced.filter { $0.uses.isEmpty && !outputs.contains(ObjectIdentifier($0)) }.map(ObjectIdentifier.init))
    graph.initializers.removeAll { unused.contains(ObjectIdentifier($0)) }
  }

  /// Scale and zero-point initializers for `base`: 1-D per channel, else scalars.
  private func scaleAndZero<T: TensorElement>(
    _ base: String, _ scales: [Float], zero: T, perChannel: Bool
  ) throws -> (Value, Value) {
    let scale = try initializer(
      "\(base)_scale", perChannel ? Tensor(HostTensor(shape: [scales.count], values: scales)) : Tensor(HostTensor(scalar: scales[0])))
    let zeros = try initializer(
      "\(base)_zero_point",
      perChannel
        ? Tensor(HostTensor(shape: [scales.count], values: [T](repeating: zero, count: scales.count)))
        : Tensor(HostTensor(scalar: zero)))
    return (scale, zeros)
  }

  private func dequantize(
    _ input: Value, scale: Value, zero: Value, axis: Int?, named name: String, before node: Node
  ) -> Value {
    let output = Value(name: names.claim(name))
    graph.insert(
      Node(
        name: "\(name)_DequantizeLinear", opType: "DequantizeLinear", inputs: [input, scale, zero], outputs: [output],
        attributes: axis.map { [Attribute("axis", .int(Int64($0)))] } ?? []),
      before: node)
    return output
  }

  private func initializer(_ base: String, _ tensor: Tensor) throws -> Value {
    var tensor = tensor
    tensor.name = names.claim(base)
    let value = Value(name: tensor.name, constant: tensor)
    graph.initializers.append(value)
    return value
  }
}
