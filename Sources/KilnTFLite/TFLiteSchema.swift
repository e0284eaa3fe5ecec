// The parts of the TFLite schema (schema.fbs) that the frontend reads, decoded from a FlatBuffer.

/// A TFLite model: its operator codes, subgraphs (the first is the model) and buffers.
struct TFLiteModel {
  var version: UInt32
  var description: String
  var operatorCodes: [TFLiteOperatorCode]
  var subgraphs: [TFLiteSubgraph]
  var buffers: [TFLiteBuffer]

  /// Decodes the root table (`Model`) of a file whose identifier is `TFL3`.
  init(_ buffer: FlatBuffer) throws(FlatBufferError) {
    let root = try buffer.root(identifier: "TFL3")
    version = try root.scalar(0, default: UInt32(0))
    description = try root.string(3) ?? ""
    var codes: [TFLiteOperatorCode] = []
    for table in try root.tables(1) { codes.append(try TFLiteOperatorCode(table)) }
    operatorCodes = codes
    var graphs: [TFLiteSubgraph] = []
    for table in try root.tables(2) { graphs.append(try TFLiteSubgraph(table)) }
    subgraphs = graphs
    var stored: [TFLiteBuffer] = []
    for table in try root.tables(4) { stored.append(try TFLiteBuffer(table)) }
    buffers = stored
  }
}

/// An operator code: a builtin operator, or a custom one named by a string.
struct TFLiteOperatorCode {
  /// The builtin operator; `TFLiteOperator.custom` for custom ops.
  var builtin: Int32
  var customName: String?

  init(_ table: FlatTable) throws(FlatBufferError) {
    // Files written before operator 127 existed keep the code in the int8 field only; newer
    // ones write both (the old one saturated at 127): the larger is the code, as TFLite reads it.
    let deprecated = Int32(try table.scalar(0, default: Int8(0)))
    let current = try table.scalar(3, default: Int32(0))
    builtin = max(deprecated, current)
    customName = try table.string(1)
  }

  /// The operator's name as users know it: the builtin name (`CONV_2D`) or the custom name.
  var name: String {
    if builtin == TFLiteBuiltin.custom.rawValue { return customName.map { "custom op \($0)" } ?? "custom op" }
    return TFLiteBuiltin.names.indices.contains(Int(builtin)) ? TFLiteBuiltin.names[Int(builtin)] : "builtin operator \(builtin)"
  }
}

/// A subgraph: tensors, operators in execution order, and which tensors are inputs and outputs.
struct TFLiteSubgraph {
  var name: String
  var tensors: [TFLiteTensor]
  var inputs: [Int]
  var outputs: [Int]
  var operators: [TFLiteOperator]

  init(_ table: FlatTable) throws(FlatBufferError) {
    var tensors: [TFLiteTensor] = []
    for item in try table.tables(0) { tensors.append(try TFLiteTensor(item)) }
    self.tensors = tensors
    inputs = try table.integers(1, as: Int32.self).map(Int.init)
    outputs = try table.integers(2, as: Int32.self).map(Int.init)
    var operators: [TFLiteOperator] = []
    for item in try table.tables(3) { operators.append(try TFLiteOperator(item)) }
    self.operators = operators
    name = try table.string(4) ?? ""
  }
}

/// A tensor: shape, element type, the buffer holding its data (0 = none) and quantization.
struct TFLiteTensor {
  var name: String
  var shape: [Int32]
  /// `TensorType` as stored: FLOAT32 = 0, FLOAT16 = 1, INT32 = 2, UINT8 = 3, INT8 = 9, ...
  var type: UInt8
  var buffer: Int
  var quantization: TFLiteQuantization?
  /// The sparsity parameters of a sparse constant; nil for dense tensors.
  var sparsity: TFLiteSparsity?

  init(_ table: FlatTable) throws(FlatBufferError) {
    shape = try table.integers(0, as: Int32.self)
    type = try table.scalar(1, default: UInt8(0))
    buffer = Int(try table.scalar(2, default: UInt32(0)))
    name = try table.string(3) ?? ""
    quantization = try table.table(4).flatMap { table throws(FlatBufferError) in try TFLiteQuantization(table) }
    do {
      sparsity = try table.table(6).map { table throws(FlatBufferError) in try TFLiteSparsity(table) }
    } catch {
      throw FlatBufferError("the sparsity of tensor '\(name)': \(error.message)")
    }
  }
}

/// Affine quantization of a tensor: real = scale · (q − zero_point), per tensor or per axis.
struct TFLiteQuantization: Equatable {
  var scales: [Float]
  var zeroPoints: [Int64]
  var axis: Int

  /// Nil when the table holds no scales (only min/max, or nothing): the tensor is not quantized.
  init?(_ table: FlatTable) throws(FlatBufferError) {
    scales = try table.floats(2)
    guard !scales.isEmpty else { return nil }
    zeroPoints = try table.integers(3, as: Int64.self)
    axis = Int(try table.scalar(6, default: Int32(0)))
  }

  /// Whether one scale covers the whole tensor.
  var isPerTensor: Bool { scales.count == 1 }
}

/// Where a buffer's bytes are: inside the flatbuffer (`data`), or, in models over 2 GB, at
/// `offset`/`size` from the start of the file.
struct TFLiteBuffer {
  /// The bytes as positions in the file; nil for an empty buffer.
  var range: Range<Int>?

  init(_ table: FlatTable) throws(FlatBufferError) {
    if let data = try table.vector(0, elementSize: 1), data.count > 0 {
      range = data.byteRange
      return
    }
    let offset = try table.scalar(1, default: UInt64(0))
    let size = try table.scalar(2, default: UInt64(0))
    guard offset > 1, size > 0 else {
      range = nil
      return
    }
    // offset 1 is the converter's placeholder for "not yet written"; a real offset lies past it.
    guard offset <= UInt64(Int.max), size <= UInt64(Int.max) - offset else {
      throw FlatBufferError("a buffer claims \(size) bytes at offset \(offset)")
    }
    let start = Int(offset)
    try table.buffer.check(start, Int(size))
    range = start..<start + Int(size)
  }
}

/// An operator application: which code, which tensors (-1 = an omitted optional input), options.
struct TFLiteOperator {
  var opcodeIndex: Int
  var inputs: [Int]
  var outputs: [Int]
  /// The builtin options table (its type is given by the operator's code).
  var options: FlatTable?

  init(_ table: FlatTable) throws(FlatBufferError) {
    opcodeIndex = Int(try table.scalar(0, default: UInt32(0)))
    inputs = try table.integers(1, as: Int32.self).map(Int.init)
    outputs = try table.integers(2, as: Int32.self).map(Int.init)
    options = try table.table(4)
  }
}
