// The .bin of an OpenVINO IR: the bytes of every Const, each at a 64-byte-aligned offset.

import Foundation

/// The weights file being assembled. Identical constants share their bytes.
struct OpenVINOWeights {
  /// Where each constant starts; OpenVINO reads any offset, aligned ones map well.
  static let alignment = 64

  private(set) var data = Data()
  /// The offsets of the stored constants by the hash of their bytes.
  private var stored: [Int: [Int]] = [:]

  /// Stores `bytes` (or finds them stored already) and returns their offset and size.
  mutating func store(_ bytes: Data) -> (offset: Int, size: Int) {
    let key = bytes.hashValue
    if let offset = stored[key]?.first(where: { $0 + bytes.count <= data.count && data[$0..<$0 + bytes.count] == bytes }) {
      return (offset, bytes.count)
    }
    let padding = (Self.alignment - data.count % Self.alignment) % Self.alignment
    data.append(Data(count: padding))
    let offset = data.count
    data.append(bytes)
    stored[key, default: []].append(offset)
    return (offset, bytes.count)
  }
}
