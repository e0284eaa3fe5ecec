// Seeded random tensors: the inputs `kiln run --random` and `kiln convert --verify` make up.

import KilnIR

/// A small seeded generator (SplitMix64), so random inputs are the same for the same seed on
/// every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension HostTensor {
  /// A tensor of random values: floats uniform in [-1, 1), integers in [0, 10) (valid as
  /// indices and sizes for most models), Booleans either way. Throws for other element types.
  public static func random(
    _ dataType: DataType, shape: [Int], using generator: inout SplitMix64
  ) throws -> HostTensor {
    let tensor = try HostTensor(uninitialized: dataType, shape: shape)
    func floats<T: BinaryFloatingPoint & TensorElement>(_ type: T.Type) {
      let out = tensor.mutableElements(as: type)
      for index in out.indices { out[index] = T(Double.random(in: -1..<1, using: &generator)) }
    }
    func integers<T: FixedWidthInteger & TensorElement>(_ type: T.Type) {
      let out = tensor.mutableElements(as: type)
      for index in out.indices { out[index] = T(truncatingIfNeeded: generator.next() % 10) }
    }
    switch dataType {
    case .float: floats(Float.self)
    case .double: floats(Double.self)
    case .float16: floats(Float16.self)
    case .int8: integers(Int8.self)
    case .uint8: integers(UInt8.self)
    case .int16: integers(Int16.self)
    case .uint16: integers(UInt16.self)
    case .int32: integers(Int32.self)
    case .uint32: integers(UInt32.self)
    case .int64: integers(Int64.self)
    case .uint64: integers(UInt64.self)
    case .bool:
      let out = tensor.mutableElements(as: Bool.self)
      for index in out.indices { out[index] = generator.next() & 1 == 1 }
    default:
      throw KilnError.badInput("random inputs of element type \(dataType.name) are not supported")
    }
    return tensor
  }
}
