// Hand-built TFLite models for the reader's tests, written with FlatBufferWriter.

import Foundation

/// Builders of the schema's tables with the field numbers of schema.fbs.
enum TFLiteTestModels {
  static func tensor(_ name: String, _ shape: [Int32], type: UInt8 = 0, buffer: UInt32 = 0) -> FlatObject {
    FlatObject([0: .int32s(shape), 1: .uint8(type), 2: .uint32(buffer), 3: .string(name)])
  }

  static func op(_ code: UInt32, _ inputs: [Int32], _ outputs: [Int32], options: FlatObject? = nil) -> FlatObject {
    var fields: [Int: FlatField] = [0: .uint32(code), 1: .int32s(inputs), 2: .int32s(outputs)]
    if let options { fields[4] = .table(options) }
    return FlatObject(fields)
  }

  /// An operator code the way current converters write it: both fields, the old one saturated.
  static func code(_ builtin: Int32) -> FlatObject {
    FlatObject([0: .int8(Int8(min(builtin, 127))), 3: .int32(builtin)])
  }

  static func model(
    codes: [FlatObject], tensors: [FlatObject], inputs: [Int32], outputs: [Int32], operators: [FlatObject],
    buffers: [FlatObject] = [FlatObject([:])], trailer: [UInt8] = []
  ) -> Data {
    let subgraph = FlatObject([
      0: .tables(tensors), 1: .int32s(inputs), 2: .int32s(outputs), 3: .tables(operators), 4: .string("main"),
    ])
    let root = FlatObject([0: .uint32(3), 1: .tables(codes), 2: .tables([subgraph]), 4: .tables(buffers)])
    return Data(flatBuffer(root, trailer: trailer))
  }

  /// `SparsityParameters` with `levels` built by `dense` and `compressed`.
  static func sparsity(traversal: [Int32], blockMap: [Int32] = [], levels: [FlatObject]) -> FlatObject {
    FlatObject([0: .int32s(traversal), 1: .int32s(blockMap), 2: .tables(levels)])
  }

  static func dense(_ size: Int32) -> FlatObject { FlatObject([0: .uint8(0), 1: .int32(size)]) }

  /// A SPARSE_CSR `DimensionMetadata`; each index vector a union member of `type`
  /// (1 Int32Vector, 2 Uint16Vector, 3 Uint8Vector).
  static func compressed(segments: [Int32], indices: [Int32], type: UInt8 = 1) -> FlatObject {
    let vector = { (values: [Int32]) -> FlatObject in
      switch type {
      case 2: FlatObject([0: .uint16s(values.map { UInt16(truncatingIfNeeded: $0) })])
      case 3: FlatObject([0: .bytes(values.map { UInt8(truncatingIfNeeded: $0) })])
      default: FlatObject([0: .int32s(values)])
      }
    }
    return FlatObject([0: .uint8(1), 2: .uint8(type), 3: .table(vector(segments)), 4: .uint8(type), 5: .table(vector(indices))])
  }

  /// input x [3,4] + DENSIFY(w), w the sparse constant [3,4] `sparsity` with values `values`
  /// (float32, or float16 read through a DEQUANTIZE when `half`) → y.
  static func densifyAdd(_ sparsity: FlatObject, values: [UInt8], half: Bool = false, densifyInput: Int32 = 1) -> Data {
    var w = tensor("w", [3, 4], type: half ? 1 : 0, buffer: 1)
    w.fields[6] = .table(sparsity)
    let dequantize = half ? [op(2, [2], [3])] : []
    return model(
      codes: [code(124), code(0), code(6)],
      tensors: [tensor("x", [3, 4]), w, tensor("dense", [3, 4], type: half ? 1 : 0), tensor("weights", [3, 4]), tensor("y", [3, 4])],
      inputs: [0], outputs: [4],
      operators: [op(0, [densifyInput], [2])] + dequantize + [op(1, [0, half ? 3 : 2], [4])],
      buffers: [FlatObject([:]), FlatObject([0: .bytes(values)])])
  }

  static func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
  }

  /// input [1,4,4,2] → CONV_2D (1x1, 3 filters, SAME, stride 1, fused RELU) → output [1,4,4,3].
  static func convolution() -> Data {
    let weights = floatBytes((0..<6).map(Float.init))
    let bias = floatBytes([0.5, -0.5, 1])
    let options = FlatObject([0: .int8(0), 1: .int32(1), 2: .int32(1), 3: .int8(1)])
    return model(
      codes: [code(3)],
      tensors: [
        tensor("image", [1, 4, 4, 2]), tensor("conv/weights", [3, 1, 1, 2], buffer: 1),
        tensor("conv/bias", [3], buffer: 2), tensor("features", [1, 4, 4, 3]),
      ],
      inputs: [0], outputs: [3], operators: [op(0, [0, 1, 2], [3], options: options)],
      buffers: [FlatObject([:]), FlatObject([0: .bytes(weights)]), FlatObject([0: .bytes(bias)])])
  }
}
