// One learned blob of a Caffe layer: its dims and where its float32 values lie.

import CaffeProto
import Foundation
import KilnIR

/// A layer's learned blob. Packed float32 data in a `.caffemodel` is already little-endian
/// float32 bytes, so it stays a slice of the memory-mapped file; other encodings (double data,
/// unpacked floats, blobs written inline in a prototxt) are decoded to floats.
struct CaffeBlob {
  enum Values {
    case mapped(MappedFile, Range<Int>)
    case floats([Float])
  }

  /// The dims the blob declares (BlobShape, else the legacy num/channels/height/width).
  var dims: [Int]
  var values: Values

  /// How many values the blob holds.
  var count: Int {
    switch values {
    case .mapped(_, let range): range.count / 4
    case .floats(let floats): floats.count
    }
  }

  /// The values as a float32 tensor of `dims`, without copying mapped bytes.
  func tensor(dims: [Int]) -> Tensor {
    switch values {
    case .mapped(let file, let range): Tensor(dataType: .float, dims: dims.map(Int64.init), storage: .mapped(file, range))
    case .floats(let floats): Tensor(floats: floats, dims: dims)
    }
  }

  /// The values as floats (for layers that compute with them).
  func floats() -> [Float] {
    switch values {
    case .floats(let floats):
      return floats
    case .mapped(let file, let range):
      return file.withBytes(in: range) { bytes in
        (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
      }
    }
  }
}

extension CaffeBlob {
  /// A blob decoded by SwiftProtobuf.
  init(_ proto: Caffe_BlobProto) {
    dims = proto.hasShape ? proto.shape.dim.map { Int($0) } : [proto.num, proto.channels, proto.height, proto.width].map { Int($0) }
    values = .floats(proto.data.isEmpty ? proto.doubleData.map { Float($0) } : proto.data)
  }
}
