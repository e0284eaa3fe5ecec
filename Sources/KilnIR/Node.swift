// Nodes: one op application with its inputs, outputs and attributes.

/// An operation in a graph. Inputs and outputs are values; an absent optional input or output
/// is nil. Changing `inputs` keeps the use lists of the values in step.
public final class Node {
  public var name: String
  public var opType: String
  /// The op's domain; "" is the default ONNX domain.
  public var domain: String
  /// ONNX function overload name, usually "".
  public var overload: String
  public var attributes: [Attribute] {
    didSet {
      if Self.holdGraphs(oldValue) || holdsGraphs { owner?.nestedGraphsChanged() }
    }
  }
  public var docString: String
  public var metadata: [MetadataEntry]
  /// How the source format stored this node (ONNX: its NodeProto).
  public var origin: SourceRecord?
  /// The graph whose node list holds this node; nil once removed.
  public internal(set) weak var owner: Graph?

  /// The inputs, in order; nil marks an omitted optional input.
  public var inputs: [Value?] {
    get { storedInputs }
    set {
      for (index, value) in storedInputs.enumerated() { value?.removeUse(self, index) }
      storedInputs = newValue
      for (index, value) in storedInputs.enumerated() { value?.addUse(self, index) }
    }
  }
  private var storedInputs: [Value?] = []

  /// The outputs, in order; nil marks an omitted optional output. Setting them makes this
  /// node their producer.
  public var outputs: [Value?] {
    get { storedOutputs }
    set {
      for value in storedOutputs where value?.producer === self { value?.producer = nil }
      storedOutputs = newValue
      for value in storedOutputs { value?.producer = self }
    }
  }
  private var storedOutputs: [Value?] = []

  public init(
    name: String = "", opType: String, domain: String = "", overload: String = "",
    inputs: [Value?] = [], outputs: [Value?] = [], attributes: [Attribute] = [],
    docString: String = "", metadata: [MetadataEntry] = [], origin: SourceRecord? = nil
  ) {
    self.name = name
    self.opType = opType
    self.domain = domain
    self.overload = overload
    self.attributes = attributes
    self.docString = docString
    self.metadata = metadata
    self.origin = origin
    self.inputs = inputs
    self.outputs = outputs
  }

  /// Replaces input `index` with `value`, keeping use lists in step.
  public func setInput(_ index: Int, _ value: Value?) {
    storedInputs[index]?.removeUse(self, index)
    storedInputs[index] = value
    value?.addUse(self, index)
  }

  /// Drops this node's uses of its inputs and its claim on its outputs, before removal.
  public func detach() {
    inputs = []
    outputs = []
  }

  /// The subgraphs held by this node's attributes.
  public var subgraphs: [Graph] { attributes.flatMap(\.value.subgraphs) }

  /// Whether an attribute holds a graph (If, Loop, Scan).
  var holdsGraphs: Bool { Self.holdGraphs(attributes) }

  private static func holdGraphs(_ attributes: [Attribute]) -> Bool {
    attributes.contains { !$0.value.subgraphs.isEmpty }
  }

  /// `domain::opType`, or just `opType` in the default domain.
  public var qualifiedOpType: String {
    domain.isEmpty || domain == "ai.onnx" ? opType : "\(domain)::\(opType)"
  }
}
