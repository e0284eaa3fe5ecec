// A model as an ncnn network: layers in order with named blobs, Input, MemoryData and Split
// layers added, activations fused, ready for the .param and .bin writers.

import KilnIR
import KilnPasses

/// An ncnn network built from a checked model.
///
/// Blobs keep the names of the IR values (whitespace replaced, made unique), so graph inputs
/// and outputs are found by their ONNX names. Graph inputs become Input layers and constants
/// read as blobs become MemoryData layers; a blob read by several layers gets a Split layer
/// whose outputs `NAME_splitncnn_I` each feed one reader, as ncnn requires.
struct NCNNNetwork {
  /// The layers in order, with unique names.
  var layers: [NCNNLayer]
  /// The blob name of every value the layers read or write.
  private var blobNames: [ObjectIdentifier: String]

  /// The blob name of `value`, one of the layers' inputs or outputs.
  func blob(_ value: Value) -> String { blobNames[ObjectIdentifier(value)] ?? value.name.ncnnSafe }

  /// How many distinct blobs the layers produce.
  var blobCount: Int { Set(layers.flatMap(\.outputs).map(ObjectIdentifier.init)).count }

  /// The network for `model`, which the ncnn target's check has accepted.
  init(model: Model) throws {
    let graph = model.graph
    var translated = try graph.inputs.filter { $0.constant == nil }.map(Self.inputLayer)
    var fused = Set<ObjectIdentifier>()
    for (index, node) in graph.nodes.enumerated() where !fused.contains(ObjectIdentifier(node)) {
      guard let mapping = NCNNMapping.mapping(for: node) else {
        throw KilnError.badInput("ncnn has no such op", node: node.name, op: node.qualifiedOpType)
      }
      var layer: NCNNLayer
      do throws(TargetRefusal) {
        layer = try mapping.layer(node)
      } catch {
        throw KilnError.badInput(error.reason, node: node.name, op: node.qualifiedOpType)
      }
      layer.name = node.name.isEmpty ? "\(layer.type)_\(index)" : node.name
      if let activation = Self.fusableActivation(after: layer, in: graph) {
        layer.fuse(activation)
        fused.insert(ObjectIdentifier(activation))
      }
      translated += try Self.memoryData(for: layer, existing: translated) + [layer]
    }
    (layers, blobNames) = Self.named(Self.splittingSharedBlobs(translated))
  }

  /// An Input layer for a graph input, with its shape less the batch axis.
  private static func inputLayer(_ value: Value) throws -> NCNNLayer {
    guard let dims = value.staticDims else { throw KilnError.badInput("input '\(value.name)' has no static shape") }
    let shape: [Int]
    do throws(TargetRefusal) {
      shape = try NCNNMapping.droppingBatch(dims, of: value)
    } catch {
      throw KilnError.badInput(error.reason)
    }
    return NCNNLayer("Input", name: value.name, inputs: [], outputs: [value], params: NCNNMapping.shapeParams(shape))
  }

  /// The activation node that ncnn can fuse into `layer`: the single reader of its single
  /// output, when that output is not a graph output.
  private static func fusableActivation(after layer: NCNNLayer, in graph: Graph) -> Node? {
    let fusing = ["Convolution", "ConvolutionDepthWise", "Deconvolution", "DeconvolutionDepthWise", "InnerProduct"]
    guard fusing.contains(layer.type), layer.outputs.count == 1, let output = layer.outputs.first,
      output.uses.count == 1, !graph.outputs.contains(where: { $0 === output }),
      let reader = output.uses.first?.node, NCNNMapping.fusedActivation(reader) != nil
    else { return nil }
    return reader
  }

  /// MemoryData layers for the constants `layer` reads as blobs and no earlier layer
  /// provides: 0=w 1=h 11=d 2=c and the values as float32. A constant of the result's rank
  /// loses its batch axis; a lower-rank one lines up with the trailing axes.
  private static func memoryData(for layer: NCNNLayer, existing: [NCNNLayer]) throws -> [NCNNLayer] {
    let provided = Set(existing.flatMap(\.outputs).map(ObjectIdentifier.init))
    var seen = Set<ObjectIdentifier>()
    return try layer.inputs.compactMap { value -> NCNNLayer? in
      guard let tensor = value.constant, !provided.contains(ObjectIdentifier(value)),
        seen.insert(ObjectIdentifier(value)).inserted
      else { return nil }
      var dims = tensor.dims.map { Int($0) }
      if dims.count == layer.outputs.first?.rank, dims.count > 1 { dims.removeFirst() }
      guard dims.count <= 4 else {
        throw KilnError.badInput("the constant '\(value.name)' has more than 4 dims besides the batch")
      }
      let values: [Float]
      do throws(TargetRefusal) {
        values = try tensor.targetFloats("the constant '\(value.name)'")
      } catch {
        throw KilnError.badInput(error.reason)
      }
      return NCNNLayer(
        "MemoryData", name: value.name, inputs: [], outputs: [value],
        params: NCNNMapping.shapeParams(dims.isEmpty ? [1] : dims), weights: [.raw(values)])
    }
  }

  /// The layers with a Split after every blob that more than one layer reads.
  private static func splittingSharedBlobs(_ layers: [NCNNLayer]) -> [NCNNLayer] {
    var readers: [ObjectIdentifier: Int] = [:]
    for layer in layers {
      for input in layer.inputs { readers[ObjectIdentifier(input), default: 0] += 1 }
    }
    var copies: [ObjectIdentifier: [Value]] = [:]
    var result: [NCNNLayer] = []
    for var layer in layers {
      layer.inputs = layer.inputs.map { input in
        guard var available = copies[ObjectIdentifier(input)], !available.isEmpty else { return input }
        let copy = available.removeFirst()
        copies[ObjectIdentifier(input)] = available
        return copy
      }
      result.append(layer)
      for output in layer.outputs {
        let count = readers[ObjectIdentifier(output)] ?? 0
        guard count > 1 else { continue }
        let split = (0..<count).map { Value(name: "\(output.name)_splitncnn_\($0)", type: output.type) }
        copies[ObjectIdentifier(output)] = split
        result.append(NCNNLayer("Split", name: "splitncnn_\(output.name)", inputs: [output], outputs: split))
      }
    }
    return result
  }

  /// The layers with unique names, and names for their blobs: the IR names made safe for
  /// a .param line and unique.
  private static func named(_ layers: [NCNNLayer]) -> ([NCNNLayer], [ObjectIdentifier: String]) {
    var blobs = NameIndex(taken: [])
    var layerNames = NameIndex(taken: [])
    var names: [ObjectIdentifier: String] = [:]
    let renamed = layers.map { layer in
      for value in layer.inputs + layer.outputs where names[ObjectIdentifier(value)] == nil {
        names[ObjectIdentifier(value)] = blobs.claim(value.name.ncnnSafe)
      }
      var copy = layer
      copy.name = layerNames.claim(layer.name.ncnnSafe)
      return copy
    }
    return (renamed, names)
  }
}

extension NCNNLayer {
  /// This layer with `activation` (a node `NCNNMapping.fusedActivation` knows) fused in:
  /// 9=activation_type 10=activation_params, and the activation's output as its own.
  mutating func fuse(_ activation: Node) {
    guard let (type, parameters) = NCNNMapping.fusedActivation(activation), let output = activation.outputs.first ?? nil
    else { return }
    params.append(.int(9, type))
    if !parameters.isEmpty { params.append(.floats(10, parameters)) }
    outputs = [output]
  }
}

extension String {
  /// This name made safe for a .param line: whitespace replaced by `_`, `blob` when empty,
  /// and cut to `ncnnNameLimit` UTF-8 bytes (ncnn reads names into 256-byte buffers; the
  /// room left is for the suffix that makes a cut name unique).
  var ncnnSafe: String {
    guard !isEmpty else { return "blob" }
    var safe = ""
    for character in self {
      let next = character.isWhitespace ? "_" : character
      guard safe.utf8.count + next.utf8.count <= Self.ncnnNameLimit else { break }
      safe.append(next)
    }
    return safe
  }

  private static let ncnnNameLimit = 240
}
