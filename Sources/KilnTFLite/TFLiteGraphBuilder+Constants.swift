// Constant tensors: TFLite buffers as initializers, re-laid-out and dequantized where needed.

import Foundation
import KilnIR

extension TFLiteGraphBuilder {
  /// The IR element type TFLite stores the tensor in.
  func dataType(of index: Int) throws -> DataType {
    let type = try tensor(dataSource(index)).type
    let types: [UInt8: DataType] = [
      0: .float, 1: .float16, 2: .int32, 3: .uint8, 4: .int64, 6: .bool, 7: .int16, 9: .int8, 10: .double,
      12: .uint64, 15: .uint32, 16: .uint16,
    ]
    guard let dataType = types[type] else {
      throw KilnError.badInput("tensor '\(tensorNames[index])' has TFLite element type \(type), which Kiln does not read")
    }
    return dataType
  }

  /// The constant tensor `index` as an IR value: its dims first extended to `rank` with leading
  /// ones, then permuted by `permutation`; dequantized (DequantizeLinear over the stored
  /// integers) when quantized, float16 widened to float32.
  func constant(_ index: Int, permutation: [Int]? = nil, rank: Int? = nil) throws -> Value {
    let source = dataSource(index)
    var raw = try rawTensor(source)
    let extra = max((rank ?? raw.dims.count) - raw.dims.count, 0)
    raw.dims = Array(repeating: 1, count: extra) + raw.dims
    if let permutation, permutation != Array(raw.dims.indices) {
      raw = try permuted(raw, permutation)
    }
    let name = tensorNames[index]
    let stored = initializer(raw, name: name + (try quantizedType(of: source) != nil ? "_quantized" : ""))
    guard let quantization = try tensor(source).quantization, try quantizedType(of: source) != nil else { return stored }
    let axis = (permutation ?? Array(raw.dims.indices)).firstIndex(of: quantization.axis + extra) ?? 0
    return dequantize(stored, quantization, type: raw.dataType, axis: axis, name: name)
  }

  /// The constant tensor in `layout`: 4-D constants permuted to NCHW for channels-first.
  func constantValue(_ index: Int, layout: TFLiteLayout) throws -> Value {
    try constant(index, permutation: layout == .channelsFirst ? [0, 3, 1, 2] : nil)
  }

  /// The integers of a constant int32 or int64 tensor (shapes, axes, paddings).
  func constantInts(_ index: Int) throws -> [Int64] {
    let raw = try rawTensor(dataSource(index))
    switch raw.dataType {
    case .int32: return try raw.withRawBytes { $0.loadLittleEndian(Int32.self).map(Int64.init) }
    case .int64: return try raw.withRawBytes { $0.loadLittleEndian(Int64.self) }
    default: throw KilnError.badInput("tensor '\(tensorNames[index])' should hold int32 values but holds \(raw.dataType.name)")
    }
  }

  /// The real values of a constant float32 or quantized tensor.
  func constantFloats(_ index: Int) throws -> [Float] {
    let source = dataSource(index)
    let raw = try rawTensor(source)
    if raw.dataType == .float { return try raw.withRawBytes { $0.loadLittleEndian(UInt32.self).map(Float.init(bitPattern:)) } }
    guard let quantization = try tensor(source).quantization, quantization.isPerTensor else {
      throw KilnError.badInput("tensor '\(tensorNames[index])' should hold float values but holds \(raw.dataType.name)")
    }
    let integers: [Int64] =
      switch raw.dataType {
      case .int8: try raw.withRawBytes { $0.loadLittleEndian(Int8.self).map(Int64.init) }
      case .uint8: try raw.withRawBytes { $0.loadLittleEndian(UInt8.self).map(Int64.init) }
      default: try constantInts(index)
      }
    let zeroPoint = quantization.zeroPoints.first ?? 0
    return integers.map { quantization.scales[0] * Float($0 - zeroPoint) }
  }

  /// Tensor `index` as stored in its buffer (float16 widened to float32, sparse densified),
  /// size-checked.
  func rawTensor(_ index: Int) throws -> Tensor {
    guard let range = try bufferRange(index) else {
      throw KilnError.badInput("tensor '\(tensorNames[index])' should be a constant but has no data")
    }
    let type = try dataType(of: index)
    let dims = try shape(index)
    let elements = try elementCount(dims, of: index)
    let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[range])
    if let sparsity = try tensor(index).sparsity {
      let size = Int(type.byteCount(elements: 1) ?? 1)
      let dense = try sparsity.densify(bytes, dims: dims.map(Int.init), elementSize: size, tensor: tensorNames[index])
      guard type == .float16 else { return Tensor(dataType: type, dims: dims, bytes: dense) }
      return dense.withUnsafeBytes { Self.widened($0, dims: dims) }
    }
    let expected = type.byteCount(elements: elements) ?? -1
    guard Int64(range.count) == expected else {
      throw KilnError.badInput(
        "tensor '\(tensorNames[index])' has \(range.count) bytes of data but \(type.name)\(dims) needs \(expected)",
        hint: "the model file may be truncated or corrupt")
    }
    return type == .float16 ? Self.widened(bytes, dims: dims) : Tensor(dataType: type, dims: dims, storage: storage(range))
  }

  /// The number of elements of `dims`, checked to be a size a tensor can have.
  private func elementCount(_ dims: [Int64], of index: Int) throws -> Int64 {
    var elements: Int64 = 1
    for dim in dims {
      let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
      guard dim >= 0, !overflow, product < Int64(Int32.max) * 16 else {
        throw KilnError.badInput("tensor '\(tensorNames[index])' has an impossible shape \(dims)")
      }
      elements = product
    }
    return elements
  }

  /// A float32 tensor of `dims` holding the float16 values in `bytes`.
  private static func widened(_ bytes: UnsafeRawBufferPointer, dims: [Int64]) -> Tensor {
    let floats = bytes.loadLittleEndian(UInt16.self).map { Float(Float16(bitPattern: $0)).bitPattern }
    return Tensor(dataType: .float, dims: dims, bytes: floats.withUnsafeBufferPointer { Data(buffer: $0) })
  }

  /// A copy of `tensor` with its dims permuted (output dim i is input dim `permutation[i]`).
  private func permuted(_ tensor: Tensor, _ permutation: [Int]) throws -> Tensor {
    let dims = tensor.dims.map(Int.init)
    guard permutation.count == dims.count, Set(permutation) == Set(dims.indices) else {
      throw KilnError.badInput("tensor '\(tensor.name)' of rank \(dims.count) cannot be permuted by \(permutation)")
    }
    let size = Int(tensor.dataType.byteCount(elements: 1) ?? 1)
    var strides = Array(repeating: size, count: dims.count)
    for axis in dims.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * dims[axis + 1] }
    let outputDims = permutation.map { dims[$0] }
    let outputStrides = permutation.map { strides[$0] }
    let count = dims.reduce(1, *)
    var output = Data(count: count * size)
    try tensor.withRawBytes { input in
      output.withUnsafeMutableBytes { out in
        guard let source = input.baseAddress, let target = out.baseAddress else { return }
        for element in 0..<count {
          // Output element `element` reads the input at its coordinates, taken digit by digit.
          var rest = element
          var offset = 0
          for axis in outputDims.indices.reversed() {
            offset += rest % outputDims[axis] * outputStrides[axis]
            rest /= outputDims[axis]
          }
          target.advanced(by: element * size).copyMemory(from: source.advanced(by: offset), byteCount: size)
        }
      }
    }
    return Tensor(name: tensor.name, dataType: tensor.dataType, dims: outputDims.map(Int64.init), bytes: output)
  }
}

extension UnsafeRawBufferPointer {
  /// The buffer read as consecutive little-endian integers of type `T`.
  func loadLittleEndian<T: FixedWidthInteger>(_: T.Type) -> [T] {
    (0..<count / MemoryLayout<T>.size).map {
      T(littleEndian: loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))
    }
  }
}
