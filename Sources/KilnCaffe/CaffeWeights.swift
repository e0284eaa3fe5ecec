// The learned blobs of a .caffemodel, by layer name, found without decoding the weights.

import CaffeProto
import Foundation
import KilnIR
import SwiftProtobuf

/// The blobs of every layer of a `.caffemodel` (a binary `NetParameter`), keyed by layer name.
///
/// The file is memory-mapped and its protobuf wire format scanned down to each blob, the way
/// the ONNX reader does it: packed float32 data stays a slice of the mapping, so a model of
/// hundreds of MB is never copied (only small fields, and rare encodings such as double data,
/// go through SwiftProtobuf). Layers that the deploy net does not have (training-only layers)
/// are simply never asked for.
struct CaffeWeights {
  private var blobsByLayer: [String: [CaffeBlob]] = [:]

  /// No weights: every layer's blobs come from the network description itself.
  init() {}

  /// Reads the `.caffemodel` at `path`.
  init(path: String) throws {
    let file: MappedFile
    do {
      file = try MappedFile(path: path)
    } catch let error as KilnError {
      throw KilnError.badInput("cannot read the weights file: \(error.message)", file: path, hint: "check the --weights path")
    }
    guard file.count > 0 else { throw KilnError.badInput("the weights file is empty, not a .caffemodel", file: path) }
    do {
      var layers = 0
      try file.withBytes { bytes in
        var net = WireScanner(bytes, range: 0..<bytes.count, format: Self.format)
        while let field = try net.next() {
          // NetParameter: `layer` (LayerParameter: name 1, blobs 7), V1 `layers` (name 4, blobs 6).
          guard field.wireType == 2, field.number == 100 || field.number == 2 else { continue }
          layers += 1
          let (name, blobs) = try Self.layer(
            bytes, field.payload, nameField: field.number == 100 ? 1 : 4, blobField: field.number == 100 ? 7 : 6, file: file)
          if !blobs.isEmpty { blobsByLayer[name] = blobs }
        }
      }
      guard layers > 0 else { throw KilnError.badInput("the .caffemodel holds no layers", hint: "is it the weights of this net?") }
      file.dropResidentPages(in: 0..<file.count)
    } catch let error as KilnError {
      throw error.inFile(path)
    }
  }

  /// The blobs of the layer named `name`; nil when it has none.
  func blobs(of name: String) -> [CaffeBlob]? { blobsByLayer[name] }

  private static let format = ".caffemodel"

  private static func layer(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, nameField: Int, blobField: Int, file: MappedFile
  ) throws -> (String, [CaffeBlob]) {
    var name = ""
    var blobs: [CaffeBlob] = []
    var scanner = WireScanner(bytes, range: range, format: format)
    while let field = try scanner.next() {
      guard field.wireType == 2 else { continue }
      if field.number == nameField { name = String(decoding: bytes[field.payload], as: UTF8.self) }
      if field.number == blobField { blobs.append(try blob(bytes, field.payload, file: file)) }
    }
    return (name, blobs)
  }

  /// A BlobProto. Packed float32 `data` (field 5) stays mapped; the shape comes from `shape`
  /// (7) or the legacy num/channels/height/width (1-4); a blob with unpacked or double data
  /// is decoded whole.
  private static func blob(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, file: MappedFile) throws -> CaffeBlob {
    var packed: [Range<Int>] = []
    var shape: [Int]?
    var legacy = [0, 0, 0, 0]
    var scanner = WireScanner(bytes, range: range, format: format)
    while let field = try scanner.next() {
      switch (field.number, field.wireType) {
      case (5, 2): packed.append(field.payload)
      case (5, _), (8, _): return CaffeBlob(try decode(Caffe_BlobProto.self, bytes[range]))
      case (7, 2): shape = try decode(Caffe_BlobShape.self, bytes[field.payload]).dim.map { Int($0) }
      case (1...4, 0):
        let value = try WireScanner.varint(in: bytes, at: field.payload.lowerBound, end: field.range.upperBound, format: format)
        legacy[field.number - 1] = Int(truncatingIfNeeded: value)
      default: continue
      }
    }
    guard packed.allSatisfy({ $0.count % 4 == 0 }) else { throw KilnError.badInput("not a valid \(format): a blob's float data is cut short") }
    let values: CaffeBlob.Values = packed.count == 1
      ? .mapped(file, packed[0])
      : .floats(packed.flatMap { CaffeBlob(dims: [], values: .mapped(file, $0)).floats() })
    return CaffeBlob(dims: shape ?? legacy, values: values)
  }

  private static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ bytes: Slice<UnsafeRawBufferPointer>) throws -> M {
    do {
      return try M(serializedBytes: Data(bytes))
    } catch {
      throw KilnError.badInput("not a valid \(format): a blob does not decode (\(error))")
    }
  }
}
