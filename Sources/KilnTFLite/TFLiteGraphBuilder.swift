// The state of one subgraph's conversion: each TFLite tensor's IR value and the layout it is in.

import Foundation
import KilnIR

/// How an IR value holds a TFLite tensor's dimensions.
enum TFLiteLayout {
  /// As TFLite does (a 4-D activation is NHWC).
  case native
  /// A 4-D tensor held as NCHW, the order ONNX's convolutions and pools take.
  case channelsFirst
}

/// Builds the IR graph of a TFLite subgraph, one operator at a time.
///
/// Every tensor becomes a float (or integer) IR value; quantized tensors are represented by
/// their dequantized value, with QuantizeLinear/DequantizeLinear wherever TFLite rounds. 4-D
/// activations live in NCHW between the ops that want it; a Transpose is inserted only where an
/// op needs the other layout (and at the graph's inputs and outputs, which keep TFLite's).
final class TFLiteGraphBuilder {
  let model: TFLiteModel
  let subgraph: TFLiteSubgraph
  /// The whole file, for reading constant data.
  let file: FlatBuffer
  /// How a range of the file becomes tensor storage (a slice of the mapping, or a copy).
  let storage: (Range<Int>) -> TensorStorage
  let graph: Graph
  /// The IR value of each tensor converted so far, with its layout.
  private var converted: [Int: (value: Value, layout: TFLiteLayout)] = [:]
  /// Values of tensors in the layout they were not produced in, made on first demand.
  private var relaidOut: [Int: Value] = [:]
  /// The unique value name of each tensor, claimed up front so they stay the source's names.
  private(set) var tensorNames: [String] = []
  private var valueNames: [String: Int] = [:]
  private var nodeNames: [String: Int] = [:]

  init(model: TFLiteModel, subgraph: TFLiteSubgraph, file: FlatBuffer, storage: @escaping (Range<Int>) -> TensorStorage) {
    self.model = model
    self.subgraph = subgraph
    self.file = file
    self.storage = storage
    graph = Graph(name: subgraph.name.isEmpty ? "main" : subgraph.name)
    tensorNames = subgraph.tensors.indices.map { index in
      claim(subgraph.tensors[index].name.isEmpty ? "tensor_\(index)" : subgraph.tensors[index].name, in: &valueNames)
    }
  }

  // MARK: Tensors

  /// The tensor at `index`, checked to exist.
  func tensor(_ index: Int) throws -> TFLiteTensor {
    guard subgraph.tensors.indices.contains(index) else {
      throw KilnError.badInput("tensor index \(index) is out of range (the subgraph has \(subgraph.tensors.count) tensors)")
    }
    return subgraph.tensors[index]
  }

  /// The tensor's static shape as TFLite gives it.
  func shape(_ index: Int) throws -> [Int64] { try tensor(index).shape.map(Int64.init) }

  /// The tensor's static shape, checked to have `rank` dims.
  func shape(_ index: Int, rank: Int) throws -> [Int64] {
    let dims = try shape(index)
    guard dims.count == rank else {
      throw KilnError.badInput("tensor '\(tensorNames[index])' must be \(rank)-D, not \(dims)")
    }
    return dims
  }

  /// The tensor's rank.
  func rank(_ index: Int) throws -> Int { try tensor(index).shape.count }

  /// The bytes of the tensor's buffer in the file; nil when it has none (an activation).
  func bufferRange(_ index: Int) throws -> Range<Int>? {
    let buffer = try tensor(index).buffer
    guard buffer != 0 else { return nil }
    guard model.buffers.indices.contains(buffer) else {
      throw KilnError.badInput("tensor '\(tensorNames[index])' refers to buffer \(buffer) of \(model.buffers.count)")
    }
    return model.buffers[buffer].range
  }

  /// Whether the tensor is a constant (holds data in the file, or a dequantized constant).
  func isConstant(_ index: Int) throws -> Bool {
    if constantAliases[index] != nil { return true }
    if let known = converted[index] { return known.value.isConstant }
    return try bufferRange(index) != nil
  }

  /// The layout the tensor was produced in; native for constants and unconverted tensors.
  func layout(_ index: Int) -> TFLiteLayout { converted[index]?.layout ?? .native }

  /// Constants that stand for another tensor (the output of a DEQUANTIZE or DENSIFY of a
  /// constant).
  private(set) var constantAliases: [Int: Int] = [:]

  /// Makes `index` read as the constant `source` (DEQUANTIZE or DENSIFY of a constant: the
  /// constant is dequantized or densified where it is used).
  func alias(_ index: Int, toConstant source: Int) {
    constantAliases[index] = constantAliases[source] ?? source
  }

  /// The tensor whose data backs `index`: itself, or the constant it aliases.
  func dataSource(_ index: Int) -> Int { constantAliases[index] ?? index }

  /// The IR value of tensor `index` in `layout` (only 4-D tensors have a channels-first form).
  func value(_ index: Int, _ layout: TFLiteLayout = .native) throws -> Value {
    let wanted = try rank(dataSource(index)) == 4 ? layout : .native
    if let known = converted[index] {
      guard known.layout != wanted else { return known.value }
      if let other = relaidOut[index] { return other }
      let perm: [Int64] = wanted == .channelsFirst ? [0, 3, 1, 2] : [0, 2, 3, 1]
      let suffix = wanted == .channelsFirst ? "_nchw" : "_nhwc"
      let other = emit("Transpose", [known.value], [Attribute("perm", .ints(perm))], name: tensorNames[index] + suffix)
      relaidOut[index] = other
      return other
    }
    guard try isConstant(index) else {
      throw KilnError.badInput("tensor '\(tensorNames[index])' is read before any operator writes it")
    }
    let constant = try constantValue(index, layout: wanted)
    if wanted == .native { converted[index] = (constant, .native) } else { relaidOut[index] = constant }
    return constant
  }

  /// Records that `value` (in `layout`) is tensor `index`, rounding it as TFLite does when the
  /// tensor is quantized, and names the value after the tensor.
  func define(_ index: Int, _ value: Value, _ layout: TFLiteLayout) throws {
    let tensor = try tensor(index)
    var result = value
    if let quantization = tensor.quantization, let type = try quantizedType(of: index) {
      result = try roundTrip(value, quantization: quantization, type: type, name: tensorNames[index])
    }
    result.name = tensorNames[index]
    converted[index] = (result, tensor.shape.count == 4 ? layout : .native)
  }

  /// Makes tensor `index` the same value as tensor `source` (ops that only reinterpret).
  func define(_ index: Int, sameAs source: Int) {
    if let known = converted[source] { converted[index] = known }
    if let other = relaidOut[source] { relaidOut[index] = other }
  }

  // MARK: Nodes

  /// Appends a node of `op` and returns its first output, named from `name`.
  @discardableResult
  func emit(_ op: String, _ inputs: [Value?], _ attributes: [Attribute] = [], name: String) -> Value {
    emitNode(op, inputs, attributes, outputs: 1, name: name)[0]
  }

  /// Appends a node of `op` with `outputs` outputs and returns them.
  func emitNode(_ op: String, _ inputs: [Value?], _ attributes: [Attribute] = [], outputs: Int, name: String) -> [Value] {
    let values = (0..<outputs).map { index in
      Value(name: claim(outputs == 1 ? name : "\(name)_\(index)", in: &valueNames))
    }
    graph.append(
      Node(name: claim(name, in: &nodeNames), opType: op, inputs: inputs, outputs: values, attributes: attributes))
    return values
  }

  /// A new initializer holding `tensor`, named from `name`.
  func initializer(_ tensor: Tensor, name: String) -> Value {
    var tensor = tensor
    tensor.name = claim(name, in: &valueNames)
    let value = Value(name: tensor.name, type: .tensor(tensor.dataType, tensor.shape), constant: tensor)
    graph.initializers.append(value)
    return value
  }

  /// An int64 initializer of `values` (shapes, axes, pads), 1-D unless `scalar`.
  func int64s(_ values: [Int64], name: String, scalar: Bool = false) -> Value {
    let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
    return initializer(Tensor(dataType: .int64, dims: scalar ? [] : [Int64(values.count)], bytes: data), name: name)
  }

  /// A float32 scalar initializer.
  func floatScalar(_ value: Float, name: String) -> Value {
    initializer(Tensor(dataType: .float, dims: [], bytes: withUnsafeBytes(of: value) { Data($0) }), name: name)
  }

  /// `base`, or `base_1`, `base_2`, ...: the first name not used yet in `names`.
  private func claim(_ base: String, in names: inout [String: Int]) -> String {
    var candidate = base
    while let count = names[candidate] {
      names[candidate] = count + 1
      candidate = "\(base)_\(count + 1)"
    }
    names[candidate] = 0
    return candidate
  }

  // MARK: Graph edges

  /// Makes the subgraph's inputs graph inputs with TFLite's own shape and type.
  func addInputs() throws {
    for index in subgraph.inputs {
      let type = try dataType(of: index)
      let input = Value(name: tensorNames[index], type: .tensor(type, Shape(static: try shape(index))))
      graph.inputs.append(input)
      converted[index] = (try realValue(ofInput: input, index: index), .native)
    }
  }

  /// Makes the subgraph's outputs graph outputs, back in TFLite's layout and element type.
  func addOutputs() throws {
    for index in subgraph.outputs {
      let internalValue = try value(index, .native)
      var result = try storedValue(ofOutput: internalValue, index: index)
      let defined = converted[index]?.value
      // A value that is also an input, a constant, another output or another tensor gets a
      // copy of its own, so that each output keeps its tensor's name.
      let shared =
        result.isConstant || graph.inputs.contains { $0 === result } || graph.outputs.contains { $0 === result }
        || (result === defined && result.name != tensorNames[index])
      if shared { result = emit("Identity", [result], name: tensorNames[index] + "_output") }
      if result !== defined, let defined, defined.name == tensorNames[index] {
        defined.name = claim(tensorNames[index] + "_internal", in: &valueNames)
      }
      result.name = tensorNames[index]
      result.type = .tensor(try dataType(of: index), Shape(static: try shape(index)))
      graph.outputs.append(result)
    }
  }
}
