// `--input-shape NAME=DIMS` and `--input NAME=FILE`: parsing them, and fixing the symbolic dims of graph inputs with it.

import KilnIR
import KilnPasses
import KilnTargets

extension ModelConversion {
  /// Splits `NAME=VALUE` at its last `=` (input names may hold `=`, values do not); a
  /// usage error quoting `text` when there is no name or no value.
  public static func parseAssignment(_ text: String, option: String, expected: String) throws -> (String, String) {
    guard let equals = text.lastIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex
    else {
      throw KilnError(.usage, "\(option) '\(text)': expected \(expected)")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
  }

  /// Parses `NAME=1x3x224x224` (also `NAME=1,3,224,224`). Malformed text is a usage error
  /// that quotes it.
  public static func parseInputShape(_ text: String) throws -> (name: String, dims: [Int64]) {
    let (name, dimsText) = try parseAssignment(text, option: "--input-shape", expected: "NAME=DIMS, e.g. input=1x3x224x224")
    let dims = try dimsText.split(separator: dimsText.contains(",") ? "," : "x", omittingEmptySubsequences: false)
      .map { word -> Int64 in
        guard let size = Int64(word.trimmingCharacters(in: .whitespaces)), size >= 0 else {
          throw KilnError(
            .usage, "--input-shape '\(text)': '\(word)' is not a dimension size (a whole number, 0 or more)",
            hint: "write it as NAME=DIMS, e.g. input=1x3x224x224")
        }
        return size
      }
    return (name, dims)
  }

  /// Parses every `--input-shape` into static shapes and, for those with a range in a dim
  /// (`MIN..MAX`, or `MIN..OPT..MAX`; OPT defaults to MAX), shape ranges; naming one input
  /// twice is a usage error.
  public static func parseInputShapesAndRanges(_ texts: [String]) throws
    -> (shapes: [String: [Int64]], ranges: [String: InputShapeRange])
  {
    let ranged = texts.filter { $0.contains("..") }
    var ranges: [String: InputShapeRange] = [:]
    for text in ranged {
      let (name, range) = try parseInputShapeRange(text)
      guard ranges[name] == nil else { throw KilnError(.usage, "--input-shape names input '\(name)' twice") }
      ranges[name] = range
    }
    let shapes = try parseInputShapes(texts.filter { !$0.contains("..") })
    if let twice = shapes.keys.first(where: { ranges[$0] != nil }) {
      throw KilnError(.usage, "--input-shape names input '\(twice)' twice")
    }
    return (shapes, ranges)
  }

  /// Parses `NAME=1..8x3x224x224`: each dim a size, `MIN..MAX` or `MIN..OPT..MAX`.
  public static func parseInputShapeRange(_ text: String) throws -> (name: String, range: InputShapeRange) {
    let (name, dimsText) = try parseAssignment(text, option: "--input-shape", expected: "NAME=DIMS, e.g. input=1..8x3x224x224")
    var range = InputShapeRange(min: [], opt: [], max: [])
    for word in dimsText.split(separator: "x", omittingEmptySubsequences: false) {
      let sizes = word.components(separatedBy: "..").map { Int64($0.trimmingCharacters(in: .whitespaces)) }
      guard (1...3).contains(sizes.count), let first = sizes.first ?? nil, let last = sizes.last ?? nil,
        let middle = sizes[sizes.count / 2], first >= 0
      else {
        throw KilnError(
          .usage, "--input-shape '\(text)': '\(word)' is not a size nor a range MIN..MAX or MIN..OPT..MAX",
          hint: "write it as NAME=DIMS, e.g. input=1..4..8x3x224x224")
      }
      range.min.append(first)
      range.opt.append(sizes.count == 3 ? middle : last)
      range.max.append(last)
    }
    return (name, range)
  }

  /// Parses every `--input-shape`; naming one input twice is a usage error.
  public static func parseInputShapes(_ texts: [String]) throws -> [String: [Int64]] {
    var shapes: [String: [Int64]] = [:]
    for text in texts {
      let (name, dims) = try parseInputShape(text)
      guard shapes[name] == nil else {
        throw KilnError(.usage, "--input-shape names input '\(name)' twice")
      }
      shapes[name] = dims
    }
    return shapes
  }

  /// Gives the graph inputs named in `shapes` those static shapes, and every other value of
  /// the model whose type uses the same symbolic dims the same sizes (in ONNX one name means one
  /// size across the model). Returns the sizes it gave each symbol.
  ///
  /// An unknown input, a rank or static dim that disagrees with the model, and one symbol given
  /// two sizes are bad input.
  @discardableResult
  public static func fixInputShapes(_ shapes: [String: [Int64]], of model: Model) throws -> [String: Int64] {
    let graph = model.graph
    let inputs = graph.inputs.filter { $0.constant == nil }
    var symbols: [String: Int64] = [:]
    for name in shapes.keys.sorted() {
      let sizes = shapes[name] ?? []
      guard let value = inputs.first(where: { $0.name == name }) else {
        throw KilnError.badInput(
          "--input-shape: the model has no input named '\(name)'",
          hint: "inputs: \(inputs.map(\.name).joined(separator: ", "))")
      }
      guard case .tensor(let dataType, let declared)? = value.type else {
        throw KilnError.badInput("--input-shape: input '\(name)' is \(value.type?.description ?? "untyped"), not a tensor")
      }
      if let declared { try bind(declared, to: sizes, input: name, symbols: &symbols) }
      value.type = .tensor(dataType, Shape(static: sizes))
    }
    graph.fixSymbols(symbols)
    return symbols
  }

  private static func bind(_ declared: Shape, to sizes: [Int64], input: String, symbols: inout [String: Int64]) throws {
    let given = sizes.map(String.init).joined(separator: "x")
    guard declared.rank == sizes.count else {
      throw KilnError.badInput(
        "--input-shape \(input)=\(given): the input has rank \(declared.rank) (shape \(declared)), not \(sizes.count)")
    }
    for (axis, (dim, size)) in zip(declared.dims, sizes).enumerated() {
      switch dim {
      case .fixed(let fixed) where fixed != size:
        throw KilnError.badInput(
          "--input-shape \(input)=\(given): dim \(axis) of the input is fixed at \(fixed) (shape \(declared))")
      case .symbolic(let symbol):
        if let bound = symbols[symbol], bound != size {
          throw KilnError.badInput(
            "--input-shape gives dim '\(symbol)' two sizes, \(bound) and \(size) (input '\(input)')")
        }
        symbols[symbol] = size
      default:
        continue
      }
    }
  }
}
