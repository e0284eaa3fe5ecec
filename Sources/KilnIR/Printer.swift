// The textual printer: stable, diffable text of a model or graph, one node per line.

import Foundation

/// What `Printer` shows and how much of it.
public struct PrintOptions: Sendable, Hashable {
  /// Tensors with at most this many elements are printed with their values; larger ones are
  /// shown by their element count only.
  public var maxElements: Int
  /// Whether a node's name follows its line as a `# name` comment.
  public var showNodeNames: Bool
  /// Whether node outputs show their declared types (`%y: float32[N,64]`).
  public var showValueTypes: Bool

  /// Options with the defaults used by golden tests: values of tensors up to 8 elements, node
  /// names shown, intermediate types hidden.
  public init(maxElements: Int = 8, showNodeNames: Bool = true, showValueTypes: Bool = false) {
    self.maxElements = maxElements
    self.showNodeNames = showNodeNames
    self.showValueTypes = showValueTypes
  }
}

/// Prints models and graphs as text that is the same for the same IR on every run and every
/// machine, for golden tests and `kiln inspect`.
///
///     model ir_version=8 opset=[ai.onnx:13] producer="pytorch 2.1"
///     graph main(%x: float32[N,3]) -> (%y: float32[N,3]) {
///       %b = constant float32[3] [0.1, 0.2, 0.3]
///       %y = Add(%x, %b)  # add0
///       return %y
///     }
///
/// Attributes are sorted by name; subgraphs are printed inline, indented; absent optional
/// inputs and outputs print as `_`; external tensor data is described, never read.
public enum Printer {
  /// The text of a whole model: a header line with versions and opsets, then its graph.
  public static func print(_ model: Model, options: PrintOptions = .init()) -> String {
    let writer = TextWriter(options: options)
    return writer.modelLine(model) + "\n" + writer.graphText(model.graph, indent: "") + "\n"
  }

  /// The text of one graph and its subgraphs.
  public static func print(_ graph: Graph, options: PrintOptions = .init()) -> String {
    TextWriter(options: options).graphText(graph, indent: "") + "\n"
  }

  /// The text of one node's line (its subgraphs indented below it), without indentation.
  public static func print(_ node: Node, options: PrintOptions = .init()) -> String {
    TextWriter(options: options).nodeText(node, indent: "")
  }

  /// The text of a tensor: its type, then its values, an elision, or its external location.
  public static func print(_ tensor: Tensor, options: PrintOptions = .init()) -> String {
    TextWriter(options: options).tensorText(tensor)
  }
}

/// Builds the text; holds only the options, so printing has no state between calls.
private struct TextWriter {
  let options: PrintOptions

  // MARK: Model and graph

  func modelLine(_ model: Model) -> String {
    var line = "model ir_version=\(model.irVersion) opset=[\(opsetList(model.opsetImports))]"
    let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }
    if !producer.isEmpty { line += " producer=\(quote(producer.joined(separator: " ")))" }
    if !model.domain.isEmpty { line += " domain=\(quote(model.domain))" }
    if model.modelVersion != 0 { line += " model_version=\(model.modelVersion)" }
    if !model.metadata.isEmpty {
      let entries = model.metadata.map { "\(quote($0.key))=\(quote($0.value))" }
      line += " metadata=[\(entries.joined(separator: ", "))]"
    }
    return line
  }

  /// Opsets with the default domain first, then by domain name.
  func opsetList(_ imports: [OpsetImport]) -> String {
    let named = imports.map { (domain: $0.domain.isEmpty ? "ai.onnx" : $0.domain, $0.version) }
    let sorted = named.sorted { lhs, rhs in
      let lhsKey = (lhs.domain == "ai.onnx" ? 0 : 1, lhs.domain, lhs.1)
      let rhsKey = (rhs.domain == "ai.onnx" ? 0 : 1, rhs.domain, rhs.1)
      return lhsKey < rhsKey
    }
    return sorted.map { "\($0.domain):\($0.1)" }.joined(separator: ", ")
  }

  /// The graph from its header to its closing brace; the first line carries no indentation,
  /// the body is indented one level deeper than `indent`.
  func graphText(_ graph: Graph, indent: String) -> String {
    let inner = indent + "  "
    var lines = [graphHeader(graph)]
    for initializer in graph.initializers {
      let data = initializer.constant.map(tensorText) ?? "<missing data>"
      lines.append("\(inner)\(valueName(initializer)) = constant \(data)")
    }
    for sparse in graph.sparseInitializers {
      lines.append("\(inner)sparse_initializer <\(sparse.bytes.count) bytes>")
    }
    for node in graph.nodes { lines.append(inner + nodeText(node, indent: inner)) }
    let results = graph.outputs.map(valueName).joined(separator: ", ")
    lines.append(inner + (results.isEmpty ? "return" : "return \(results)"))
    lines.append(indent + "}")
    return lines.joined(separator: "\n")
  }

  func graphHeader(_ graph: Graph) -> String {
    let inputs = graph.inputs.map(typedValue).joined(separator: ", ")
    let outputs = graph.outputs.map(typedValue).joined(separator: ", ")
    return "graph \(identifier(graph.name))(\(inputs)) -> (\(outputs)) {"
  }

  func typedValue(_ value: Value) -> String {
    guard let type = value.type else { return valueName(value) }
    return "\(valueName(value)): \(type)"
  }

  // MARK: Nodes and attributes

  func nodeText(_ node: Node, indent: String) -> String {
    var text = ""
    if !node.outputs.isEmpty {
      text += node.outputs.map(outputText).joined(separator: ", ") + " = "
    }
    text += node.qualifiedOpType
    if !node.overload.isEmpty { text += "@" + identifier(node.overload) }
    text += "(" + node.inputs.map { $0.map(valueName) ?? "_" }.joined(separator: ", ") + ")"
    if !node.attributes.isEmpty { text += " " + attributesText(node.attributes, indent: indent) }
    if options.showNodeNames, !node.name.isEmpty { text += "  # " + escape(node.name) }
    return text
  }

  func outputText(_ value: Value?) -> String {
    guard let value else { return "_" }
    return options.showValueTypes ? typedValue(value) : valueName(value)
  }

  /// `{name=value, ...}` sorted by name (a stable sort, so repeated names keep their order).
  func attributesText(_ attributes: [Attribute], indent: String) -> String {
    let sorted = attributes.enumerated().sorted { lhs, rhs in
      (lhs.element.name, lhs.offset) < (rhs.element.name, rhs.offset)
    }
    let items = sorted.map {
      "\(identifier($0.element.name))=\(attributeText($0.element.value, indent: indent))"
    }
    return "{" + items.joined(separator: ", ") + "}"
  }

  func attributeText(_ value: AttributeValue, indent: String) -> String {
    switch value {
    case .float(let number): number.description
    case .int(let number): String(number)
    case .string(let bytes): quote(bytes)
    case .tensor(let tensor): tensorText(tensor)
    case .graph(let graph): graphText(graph, indent: indent)
    case .sparseTensor(let message): sparseText(message)
    case .type(let type): "type(\(type))"
    case .floats(let numbers): list(numbers.map(\.description))
    case .ints(let numbers): list(numbers.map { String($0) })
    case .strings(let items): list(items.map(quote))
    case .tensors(let tensors): list(tensors.map(tensorText))
    case .graphs(let graphs): list(graphs.map { graphText($0, indent: indent) })
    case .sparseTensors(let messages): list(messages.map(sparseText))
    case .types(let types): list(types.map { "type(\($0))" })
    case .reference(let name, _): "@" + identifier(name)
    }
  }

  func sparseText(_ message: OpaqueMessage) -> String {
    "<sparse tensor \(message.bytes.count) bytes>"
  }

  func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

  // MARK: Tensors

  func tensorText(_ tensor: Tensor) -> String {
    let type =
      tensor.dataType.name + "[" + tensor.dims.map { String($0) }.joined(separator: ",") + "]"
    return type + " " + contentText(tensor)
  }

  func contentText(_ tensor: Tensor) -> String {
    if case .external(let reference) = tensor.storage { return externalText(reference) }
    guard tensor.dims.allSatisfy({ $0 >= 0 }), tensor.checkedBitCount != nil else {
      return "<invalid dims>"
    }
    let count = tensor.elementCount
    if case .strings(let items) = tensor.storage {
      return items.count <= options.maxElements
        ? list(items.map(quote)) : "<elided \(items.count) elements>"
    }
    guard count <= Int64(options.maxElements), let reader = ElementReader(tensor.dataType) else {
      return "<elided \(count) elements>"
    }
    let text = try? tensor.withRawBytes { reader.text(of: $0, count: Int(count)) }
    return text ?? "<unreadable data>"
  }

  func externalText(_ reference: ExternalData) -> String {
    var text = "<external \(quote(reference.location)) offset=\(reference.offset)"
    if let length = reference.length { text += " length=\(length)" }
    return text + ">"
  }

  // MARK: Names and strings

  func valueName(_ value: Value) -> String { "%" + identifier(value.name) }

  /// The name as is when it is made of `[A-Za-z0-9_.:/-]`, quoted otherwise.
  func identifier(_ name: String) -> String {
    let plain = !name.isEmpty && name.utf8.allSatisfy(Self.isPlainNameByte)
    return plain ? name : quote(Data(name.utf8))
  }

  static func isPlainNameByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      true
    default:
      "_.:/-".utf8.contains(byte)
    }
  }

  func quote(_ text: String) -> String { quote(Data(text.utf8)) }

  func quote(_ bytes: Data) -> String { "\"" + escape(bytes) + "\"" }

  func escape(_ text: String) -> String { escape(Data(text.utf8)) }

  /// Backslash-escapes quotes, backslashes, control characters and line breaks, so that any
  /// string stays on one line; bytes that are not valid UTF-8 are written as `\xNN`.
  func escape(_ bytes: Data) -> String {
    let decoded = String(decoding: bytes, as: UTF8.self)
    guard Array(decoded.utf8) == Array(bytes) else {
      return bytes.map { $0 < 0x80 ? escape(Unicode.Scalar($0)) : hex($0) }.joined()
    }
    return decoded.unicodeScalars.map(escape).joined()
  }

  func escape(_ scalar: Unicode.Scalar) -> String {
    switch scalar {
    case "\"": return "\\\""
    case "\\": return "\\\\"
    case "\n": return "\\n"
    case "\t": return "\\t"
    case "\r": return "\\r"
    default: break
    }
    let code = scalar.value
    if code < 0x20 || code == 0x7f { return hex(UInt8(code)) }
    // C1 controls and Unicode line breaks would split a line in some editors.
    if (0x80...0x9f).contains(code) || code == 0x2028 || code == 0x2029 {
      return "\\u{" + String(code, radix: 16) + "}"
    }
    return String(scalar)
  }

  func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: false)
    return "\\x" + (digits.count == 1 ? "0" + digits : digits)
  }
}

/// Turns raw little-endian element bytes into text for the element types the printer shows.
private struct ElementReader: Sendable {
  let width: Int
  let read: @Sendable (UnsafeRawBufferPointer, Int) -> String

  init?(_ type: DataType) {
    guard let reader = Self.readers[type.rawValue] else { return nil }
    self = reader
  }

  private init(width: Int, read: @escaping @Sendable (UnsafeRawBufferPointer, Int) -> String) {
    self.width = width
    self.read = read
  }

  /// The first `count` elements as a bracketed list, or a note when the bytes fall short.
  func text(of bytes: UnsafeRawBufferPointer, count: Int) -> String {
    guard bytes.count >= count * width else {
      return "<invalid: \(bytes.count) bytes for \(count) elements>"
    }
    let items = (0..<count).map { read(bytes, $0 * width) }
    return "[" + items.joined(separator: ", ") + "]"
  }

  private static func load<T: FixedWidthInteger>(
    _ bytes: UnsafeRawBufferPointer, _ offset: Int, _: T.Type
  ) -> T {
    T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
  }

  private static let readers: [Int32: ElementReader] = [
    DataType.float.rawValue: ElementReader(width: 4) {
      Float(bitPattern: load($0, $1, UInt32.self)).description
    },
    DataType.double.rawValue: ElementReader(width: 8) {
      Double(bitPattern: load($0, $1, UInt64.self)).description
    },
    DataType.float16.rawValue: ElementReader(width: 2) {
      halfToFloat(load($0, $1, UInt16.self)).description
    },
    DataType.bfloat16.rawValue: ElementReader(width: 2) {
      Float(bitPattern: UInt32(load($0, $1, UInt16.self)) << 16).description
    },
    DataType.bool.rawValue: ElementReader(width: 1) { $0[$1] == 0 ? "false" : "true" },
    DataType.int8.rawValue: ElementReader(width: 1) { String(load($0, $1, Int8.self)) },
    DataType.uint8.rawValue: ElementReader(width: 1) { String(load($0, $1, UInt8.self)) },
    DataType.int16.rawValue: ElementReader(width: 2) { String(load($0, $1, Int16.self)) },
    DataType.uint16.rawValue: ElementReader(width: 2) { String(load($0, $1, UInt16.self)) },
    DataType.int32.rawValue: ElementReader(width: 4) { String(load($0, $1, Int32.self)) },
    DataType.uint32.rawValue: ElementReader(width: 4) { String(load($0, $1, UInt32.self)) },
    DataType.int64.rawValue: ElementReader(width: 8) { String(load($0, $1, Int64.self)) },
    DataType.uint64.rawValue: ElementReader(width: 8) { String(load($0, $1, UInt64.self)) },
  ]

  /// Converts IEEE half-precision bits to `Float` exactly (Swift's `Float16` is missing on
  /// Intel Macs).
  private static func halfToFloat(_ bits: UInt16) -> Float {
    let sign: Float = bits & 0x8000 == 0 ? 1 : -1
    let exponent = Int((bits >> 10) & 0x1f)
    let mantissa = UInt32(bits & 0x3ff)
    switch exponent {
    case 0:
      return sign * Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
    case 31:
      let payload = Float(bitPattern: 0x7f80_0000 | mantissa << 13)
      return sign < 0 ? -payload : payload
    default:
      return Float(
        bitPattern: (UInt32(bits & 0x8000) << 16) | UInt32(exponent + 112) << 23 | mantissa << 13)
    }
  }
}
