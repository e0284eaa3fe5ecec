// Helpers for the ONNX tests: IR models with weights, write-and-read, and bad-input checks.
// Temporary folders, tensors and graph builders are in KilnTestSupport; raw ONNX messages in
// ONNXTestSupport.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

// MARK: - Tensors

/// A float32 tensor of `count` elements with a recognizable pattern.
func patternTensor(_ name: String, count: Int, seed: Float = 0) -> Tensor {
  floatTensor(name, (0..<count).map { Float($0 % 1000) * 0.5 + seed })
}

extension TensorStorage {
  var isMapped: Bool {
    if case .mapped = self { return true }
    return false
  }

  var externalReference: ExternalData? {
    if case .external(let reference) = self { return reference }
    return nil
  }
}

// MARK: - IR models

/// A model around `graph`.
func makeModel(
  _ graph: Graph, irVersion: Int64 = 10, opsets: [OpsetImport] = [OpsetImport(domain: "", version: 21)]
) -> Model {
  Model(
    irVersion: irVersion, opsetImports: opsets, producerName: "kiln-tests",
    producerVersion: "1", graph: graph)
}

/// A valid model in which every tensor of `weights` is an initializer that an Identity node
/// passes to a graph output; plus an input `X` of type float32[N,4] that a Relu reads.
func modelWithWeights(_ weights: [Tensor]) -> Model {
  let builder = GraphBuilder("weights")
  let x = builder.input("X", .tensor(.float, Shape([.symbolic("N"), .fixed(4)])))
  let y = builder.node("Relu", [x], outputs: ["Y"], name: "relu")[0]
  builder.output(y)
  for (index, tensor) in weights.enumerated() {
    let value = builder.initializer(tensor)
    let out = builder.node("Identity", [value], outputs: ["out\(index)"], name: "id\(index)")[0]
    builder.output(out)
  }
  return makeModel(builder.graph)
}

/// Writes `model` to `path` and reads it back.
func writeAndRead(
  _ model: Model, to path: String, options: ONNXWriteOptions = .init()
) throws -> (Model, ONNXWriteSummary) {
  let summary = try ONNXModelWriter.write(model, to: path, options: options)
  return (try ONNXModelReader.read(path: path), summary)
}

/// The initializer named `name` in the main graph.
func initializer(_ model: Model, _ name: String) throws -> Tensor {
  try #require(model.graph.initializers.first { $0.name == name }?.constant)
}

// MARK: - Errors

/// Runs `body`, expects a `KilnError` of kind `.badInput` with exit code 2, and returns it.
func expectBadInput(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> KilnError? {
  do {
    try body()
    Issue.record("expected a bad-input error, but nothing was thrown", sourceLocation: sourceLocation)
    return nil
  } catch let error as KilnError {
    #expect(error.kind == .badInput, "\(error)", sourceLocation: sourceLocation)
    #expect(error.exitCode == 2, sourceLocation: sourceLocation)
    return error
  } catch {
    Issue.record("expected a KilnError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    return nil
  }
}

/// Whether the error's text (file, node, message and hint) contains `text`.
func mentions(_ error: KilnError?, _ text: String) -> Bool {
  guard let error else { return false }
  return "\(error)".contains(text)
}
