// The shape-inference service `infer-shapes` gets from Kiln: libonnx's shape inference.

import Foundation
import KilnIR
import KilnONNX
import KilnPasses

/// libonnx's shape inference (ONNX 1.12, through CONNX) as a `ShapeInferenceService`.
///
/// The graph is serialized without its large weights: an initializer over
/// `inlineLimit` bytes is declared as a graph input of its type and shape instead, which
/// tells libonnx the same shapes without copying gigabytes. Small initializers keep their
/// data, as libonnx reads constant shapes and axes from them. libonnx's data propagation is
/// on. Ops newer than libonnx's opsets are left uninferred by libonnx.
public struct LibONNXShapeInference: ShapeInferenceService {
  /// Initializers up to this many bytes are sent with their data.
  public var inlineLimit: Int64

  public init(inlineLimit: Int64 = 4096) {
    self.inlineLimit = inlineLimit
  }

  public func inferTypes(of graph: Graph, opsetImports: [OpsetImport]) throws -> [String: ValueType] {
    let skeleton = Model(irVersion: 8, opsetImports: opsetImports, graph: withoutLargeWeights(graph))
    let bytes = try ONNXModelWriter.serialize(skeleton)
    let inferred = try ONNXModelReader.read(bytes: LibONNX.inferShapes(modelBytes: bytes, dataPropagation: true))
    var types: [String: ValueType] = [:]
    for value in inferred.graph.annotatedValues + inferred.graph.outputs {
      if let type = value.type { types[value.name] = type }
    }
    return types
  }

  /// A graph sharing `graph`'s nodes and values, in which large initializers are inputs.
  private func withoutLargeWeights(_ graph: Graph) -> Graph {
    let inputs = Set(graph.inputs.map(ObjectIdentifier.init))
    var standIns: [Value] = []
    var kept: [Value] = []
    for initializer in graph.initializers {
      guard let tensor = initializer.constant, tensor.byteCount > inlineLimit else {
        kept.append(initializer)
        continue
      }
      guard !inputs.contains(ObjectIdentifier(initializer)) else { continue }
      standIns.append(Value(name: initializer.name, type: .tensor(tensor.dataType, tensor.shape)))
    }
    // Every type known so far goes along, listed or not, so libonnx starts from it.
    let outputs = Set(graph.outputs.map(ObjectIdentifier.init))
    let typed = graph.nodes.flatMap(\.outputs).compactMap { $0 }.filter { value in
      value.type != nil && !outputs.contains(ObjectIdentifier(value))
    }
    return Graph(
      name: graph.name, inputs: graph.inputs + standIns, outputs: graph.outputs, initializers: kept,
      annotatedValues: typed, nodes: graph.nodes)
  }
}
