// The .bin weights of an ncnn network.

import Foundation

/// Writes ncnn's .bin: every layer's weights in layer order, each as ncnn's model loader
/// reads it. A tagged weight starts with a 4-byte storage tag, 0 for float32 data or
/// 0x01306B47 for float16 data (padded to 4 bytes); an untagged one is plain float32.
enum NCNNBinWriter {
  /// The storage tag of float16 data.
  static let float16Tag: UInt32 = 0x0130_6B47

  /// Passes the bytes of every weight of `network`, one weight at a time, to `write`.
  static func write(_ network: NCNNNetwork, float16: Bool, to write: (Data) throws -> Void) throws {
    for layer in network.layers {
      for weight in layer.weights { try write(bytes(weight, float16: float16)) }
    }
  }

  /// The bytes of one weight; tagged weights are float16 when `float16` is set.
  static func bytes(_ weight: NCNNWeight, float16: Bool) -> Data {
    guard weight.tagged else { return weight.values.withUnsafeBytes { Data($0) } }
    var data = Data()
    let tag = float16 ? float16Tag : 0
    withUnsafeBytes(of: tag.littleEndian) { data.append(contentsOf: $0) }
    if float16 {
      weight.values.map { Float16($0).bitPattern.littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
      if data.count % 4 != 0 { data.append(contentsOf: [0, 0]) }
    } else {
      weight.values.withUnsafeBytes { data.append(contentsOf: $0) }
    }
    return data
  }
}
