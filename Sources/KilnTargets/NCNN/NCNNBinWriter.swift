// The .bin weights of an ncnn network.

import Foundation

/// Writes ncnn's .bin: every layer's weights in layer order, each as ncnn's model loader
/// reads it. A tagged weight starts with a 4-byte storage tag, 0 for float32 data,
/// 0x01306B47 for float16 data or 0x000D4B38 for int8 data (both padded to 4 bytes); an
/// untagged one is plain float32.
enum NCNNBinWriter {
  /// The storage tag of float16 data.
  static let float16Tag: UInt32 = 0x0130_6B47
  /// The storage tag of int8 data.
  static let int8Tag: UInt32 = 0x000D_4B38

  /// Passes the bytes of every weight of `network`, one weight at a time, to `write`.
  static func write(_ network: NCNNNetwork, float16: Bool, to write: (Data) throws -> Void) throws {
    for layer in network.layers {
      for weight in layer.weights { try write(bytes(weight, float16: float16)) }
    }
  }

  /// The bytes of one weight; tagged float weights are float16 when `float16` is set.
  static func bytes(_ weight: NCNNWeight, float16: Bool) -> Data {
    switch weight {
    case .raw(let values):
      return values.withUnsafeBytes { Data($0) }
    case .tagged(let values) where float16:
      return tagged(float16Tag, values.map { Float16($0).bitPattern.littleEndian })
    case .tagged(let values):
      return tagged(0, values)
    case .int8(let values):
      return tagged(int8Tag, values)
    }
  }

  /// `tag` then the elements, zero-padded to a multiple of 4 bytes.
  private static func tagged<Element>(_ tag: UInt32, _ elements: [Element]) -> Data {
    var data = Data()
    withUnsafeBytes(of: tag.littleEndian) { data.append(contentsOf: $0) }
    elements.withUnsafeBytes { data.append(contentsOf: $0) }
    data.append(contentsOf: [UInt8](repeating: 0, count: (4 - data.count % 4) % 4))
    return data
  }
}
