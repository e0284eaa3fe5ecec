// Float32, float16 and float64 elements read and written as Double, one at a time, in raw bytes.

import Foundation
import KilnIR

/// The elements of a float32, float16 or float64 tensor, read as `Double` straight from its raw
/// little-endian bytes, so that a weight is never copied whole. Valid only inside
/// `Tensor.withRealElements`.
struct RealElements {
  let bytes: UnsafeRawBufferPointer
  let dataType: DataType
  let count: Int

  /// Element `index`, widened exactly to Double.
  subscript(index: Int) -> Double {
    switch dataType {
    case .float: Double(bytes.loadUnaligned(fromByteOffset: index * 4, as: Float.self))
    case .float16: Double(bytes.loadUnaligned(fromByteOffset: index * 2, as: Float16.self))
    default: bytes.loadUnaligned(fromByteOffset: index * 8, as: Double.self)
    }
  }
}

extension Tensor {
  /// `body` applied to the elements of this float32, float16 or float64 tensor; nil for other
  /// element types, and for bytes that cannot be read or do not match the dims.
  func withRealElements<R>(_ body: (RealElements) -> R) -> R? {
    guard fusibleFloatTypes.contains(dataType), let count = checkedElementCount,
      dataType.byteCount(elements: count) == byteCount
    else { return nil }
    return try? withRawBytes { bytes -> R? in
      guard bytes.count == byteCount else { return nil }
      return body(RealElements(bytes: bytes, dataType: dataType, count: Int(count)))
    }
  }

  /// The elements of a float32, float16 or float64 tensor as `Double`; nil for other element
  /// types or data that cannot be read.
  func realValues() -> [Double]? {
    withRealElements { elements in (0..<elements.count).map { elements[$0] } }
  }

  /// A float32, float16 or float64 tensor of `dims` whose element i is `element(i)` rounded once
  /// to `dataType`, written straight into its bytes, `chunk` elements at a time; `afterChunk`
  /// gets the range of elements each chunk wrote, once it is written.
  init(
    dataType: DataType, dims: [Int64], chunk: Int = .max, realElement element: (Int) -> Double,
    afterChunk: (Range<Int>) -> Void = { _ in }
  ) throws {
    self.init(dataType: dataType, dims: dims, bytes: Data())
    guard fusibleFloatTypes.contains(dataType), chunk > 0, let count = checkedElementCount.map(Int.init) else {
      throw KilnError.internalError("fusions cannot write \(dataType.name)\(dims) constants")
    }
    var data = Data(count: count * dataType.bitWidth / 8)
    data.withUnsafeMutableBytes { bytes in
      for start in stride(from: 0, to: count, by: chunk) {
        let range = start..<min(start + min(chunk, count), count)
        switch dataType {
        case .float: Self.store(range, as: Float.self, into: bytes) { Float(element($0)) }
        case .float16: Self.store(range, as: Float16.self, into: bytes) { Float16(element($0)) }
        default: Self.store(range, as: Double.self, into: bytes, element)
        }
        afterChunk(range)
      }
    }
    storage = .bytes(data)
  }

  /// Lets the mapped pages that hold elements `elements` of this float32, float16 or float64
  /// tensor leave resident memory (see `MappedFile.dropResidentPages`); other storage and
  /// element types are left alone.
  func dropResidentPages(elements: Range<Int>) {
    guard fusibleFloatTypes.contains(dataType) else { return }
    let width = dataType.bitWidth / 8
    dropResidentPages(bytes: elements.lowerBound * width..<elements.upperBound * width)
  }

  private static func store<T>(
    _ range: Range<Int>, as type: T.Type, into bytes: UnsafeMutableRawBufferPointer, _ element: (Int) -> T
  ) {
    for index in range {
      bytes.storeBytes(of: element(index), toByteOffset: index * MemoryLayout<T>.stride, as: T.self)
    }
  }
}
