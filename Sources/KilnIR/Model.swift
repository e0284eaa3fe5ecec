// A model: the main graph with the versioning and metadata around it.

/// An operator set a model imports: a domain ("" for default ONNX) at a version.
public struct OpsetImport: Sendable, Hashable {
  public var domain: String
  public var version: Int64
  public init(domain: String, version: Int64) {
    self.domain = domain
    self.version = version
  }
}

/// A whole model: its main graph plus IR version, opsets, producer and metadata.
///
/// What the IR does not model yet (ONNX model-local functions, training info, device
/// configurations) stays in `origin` and is written back unchanged.
public final class Model {
  public var irVersion: Int64
  public var opsetImports: [OpsetImport]
  public var producerName: String
  public var producerVersion: String
  public var domain: String
  public var modelVersion: Int64
  public var docString: String
  public var metadata: [MetadataEntry]
  public var graph: Graph
  /// How the source format stored the model.
  public var origin: SourceRecord?

  public init(
    irVersion: Int64, opsetImports: [OpsetImport], producerName: String = "",
    producerVersion: String = "", domain: String = "", modelVersion: Int64 = 0,
    docString: String = "", metadata: [MetadataEntry] = [], graph: Graph,
    origin: SourceRecord? = nil
  ) {
    self.irVersion = irVersion
    self.opsetImports = opsetImports
    self.producerName = producerName
    self.producerVersion = producerVersion
    self.domain = domain
    self.modelVersion = modelVersion
    self.docString = docString
    self.metadata = metadata
    self.graph = graph
    self.origin = origin
  }

  /// The version imported for `domain` ("" and "ai.onnx" are the same domain).
  public func opsetVersion(_ domain: String) -> Int64? {
    let wanted = domain == "ai.onnx" ? "" : domain
    return opsetImports.first { ($0.domain == "ai.onnx" ? "" : $0.domain) == wanted }?.version
  }
}
