// Reading a TFLite flatbuffer into the IR: the public entry point of the TFLite frontend.

import Foundation
import KilnIR

/// Reads TensorFlow Lite models (`.tflite` flatbuffers, identifier `TFL3`) into the IR.
///
/// The first subgraph becomes the graph, in plain ONNX ops at opset 17. Inputs and outputs keep
/// TFLite's shapes (NHWC); inside, 4-D activations are NCHW. Weights stay slices of the
/// memory-mapped file where they are float32 and aligned. Every operator that cannot be
/// converted is listed in one `.badInput` error before any conversion starts.
public enum TFLiteModelReader {
  /// The producer name written into converted models.
  public static let producerName = "kiln-tflite"

  /// Reads the model at `path`.
  public static func read(path: String) throws -> Model {
    do {
      let file = try MappedFile(path: path)
      return try file.withBytes { bytes in
        try read(bytes) { range in
          range.lowerBound % 16 == 0 ? .mapped(file, range) : .bytes(Data(bytes[range]))
        }
      }
    } catch let error as KilnError {
      throw error.inFile(path)
    }
  }

  /// Reads a model from the bytes of a `.tflite` file; weights are copied out of them.
  public static func read(bytes: Data) throws -> Model {
    try bytes.withUnsafeBytes { buffer in
      try read(buffer) { .bytes(Data(buffer[$0])) }
    }
  }

  private static func read(
    _ bytes: UnsafeRawBufferPointer, storage: @escaping (Range<Int>) -> TensorStorage
  ) throws -> Model {
    let buffer = FlatBuffer(bytes: bytes)
    let model: TFLiteModel
    do {
      model = try TFLiteModel(buffer)
    } catch {
      throw KilnError.badInput("not a readable TFLite model: \(error.message)", hint: "the file may be truncated or corrupt")
    }
    guard let subgraph = model.subgraphs.first else { throw KilnError.badInput("the TFLite model has no subgraph") }
    let builder = TFLiteGraphBuilder(model: model, subgraph: subgraph, file: buffer, storage: storage)
    try checkSupport(subgraph, builder)
    try builder.addInputs()
    for op in subgraph.operators { try builder.convert(op) }
    try builder.addOutputs()
    return Model(
      irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], producerName: producerName,
      producerVersion: "TFLite schema \(model.version)", docString: model.description, graph: builder.graph)
  }

  /// Lists every operator that cannot be converted in one error: its name, op and why.
  private static func checkSupport(_ subgraph: TFLiteSubgraph, _ builder: TFLiteGraphBuilder) throws {
    var problems: [String] = []
    var ops: Set<String> = []
    for op in subgraph.operators {
      guard let reason = try builder.unsupportedReason(op) else { continue }
      let name = try builder.code(of: op).name
      ops.insert(name)
      problems.append("'\(builder.name(of: op))' (\(name)): \(reason)")
    }
    guard !problems.isEmpty else { return }
    throw KilnError.badInput(
      "\(problems.count) operator\(problems.count == 1 ? "" : "s") cannot be converted (\(ops.sorted().joined(separator: ", "))):\n  "
        + problems.joined(separator: "\n  "),
      hint: "Kiln's TFLite frontend converts the ops listed in the README")
  }
}
