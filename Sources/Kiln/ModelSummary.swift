// A summary of a model for people and tools: what `kiln inspect` prints.

import Foundation
import KilnIR

/// What `kiln inspect` reports about a model. Encodes to a stable JSON schema.
public struct ModelSummary: Codable, Sendable, Equatable {
  /// A graph input or output: its name, element type and shape (symbolic dims by name).
  public struct Port: Codable, Sendable, Equatable {
    public var name: String
    /// The declared type, e.g. `float32[N,3,224,224]`; "?" when not declared.
    public var type: String
    public var elementType: String?
    /// Dims as numbers or names; "?" for unknown; nil when the rank is unknown.
    public var shape: [String]?
  }

  /// An imported operator set.
  public struct Opset: Codable, Sendable, Equatable {
    public var domain: String
    public var version: Int64
  }

  /// How often one op type occurs.
  public struct OpCount: Codable, Sendable, Equatable {
    public var op: String
    public var count: Int
  }

  public var file: String
  public var fileBytes: Int64
  public var producerName: String
  public var producerVersion: String
  public var irVersion: Int64
  public var modelVersion: Int64
  public var domain: String
  public var opsets: [Opset]
  public var graphName: String
  public var inputs: [Port]
  public var outputs: [Port]
  /// Nodes of the main graph and of every subgraph.
  public var nodeCount: Int
  /// Op types by count, most frequent first (ties by name).
  public var ops: [OpCount]
  /// Initializers, and the elements and bytes they hold.
  public var initializerCount: Int
  public var parameterCount: Int64
  public var parameterBytes: Int64
  /// External-data files the weights are in, relative to the model's folder.
  public var externalDataFiles: [String]
  public var metadata: [String: String]
}

extension ModelSummary {
  /// Summarizes `model`, read from `file`.
  public init(model: Model, file: String) {
    let graph = model.graph
    let allNodes = graph.allNodes()
    var histogram: [String: Int] = [:]
    for node in allNodes { histogram[node.qualifiedOpType, default: 0] += 1 }
    let tensors = graph.initializers.compactMap(\.constant)
    let fileBytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)??.int64Value
    self.init(
      file: file, fileBytes: fileBytes ?? 0, producerName: model.producerName,
      producerVersion: model.producerVersion, irVersion: model.irVersion,
      modelVersion: model.modelVersion, domain: model.domain,
      opsets: model.opsetImports.map { Opset(domain: $0.domain.isEmpty ? "ai.onnx" : $0.domain, version: $0.version) },
      graphName: graph.name,
      inputs: graph.inputs.filter { $0.constant == nil }.map(Port.init),
      outputs: graph.outputs.map(Port.init), nodeCount: allNodes.count,
      ops: histogram.map { OpCount(op: $0.key, count: $0.value) }
        .sorted { ($0.count, $1.op) > ($1.count, $0.op) },
      initializerCount: tensors.count, parameterCount: Self.saturatingSum(tensors.map { $0.checkedElementCount ?? .max }),
      parameterBytes: Self.saturatingSum(tensors.map(\.byteCount)),
      externalDataFiles: Array(Set(tensors.compactMap(Self.externalLocation))).sorted(),
      metadata: Dictionary(model.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }))
  }

  /// A sum that stops at `Int64.max`: element counts of tensors of unknown element types are
  /// not backed by data, so a hostile file can make them add up past any limit.
  private static func saturatingSum(_ values: [Int64]) -> Int64 {
    values.reduce(0) { total, value in
      let (sum, overflow) = total.addingReportingOverflow(value)
      return overflow ? .max : sum
    }
  }

  private static func externalLocation(_ tensor: Tensor) -> String? {
    if case .external(let reference) = tensor.storage { return reference.location }
    return nil
  }
}

extension ModelSummary.Port {
  init(_ value: Value) {
    name = value.name
    type = value.type?.description ?? "?"
    if case .tensor(let dataType, let declared)? = value.type {
      elementType = dataType.name
      shape = declared.map { $0.dims.map(\.description) }
    } else {
      elementType = nil
      shape = nil
    }
  }
}
