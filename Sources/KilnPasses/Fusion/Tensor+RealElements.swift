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

  /// A float32, float16 or float64 vector of `values`, each rounded once to `dataType`.
  init(dataType: DataType, values: [Double]) throws {
    guard fusibleFloatTypes.contains(dataType) else {
      throw KilnError.internalError("fusions cannot write \(dataType.name) constants")
    }
    let data =
      switch dataType {
      case .float: Self.bytes(values, as: Float.self)
      case .float16: Self.bytes(values, as: Float16.self)
      default: Self.bytes(values, as: Double.self)
      }
    self.init(dataType: dataType, dims: [Int64(values.count)], bytes: data)
  }

  private static func bytes<T: BinaryFloatingPoint>(_ values: [Double], as type: T.Type) -> Data {
    values.map { T($0) }.withUnsafeBytes { Data($0) }
  }

  /// This float32, float16 or float64 tensor with each run of `runLength` consecutive elements
  /// multiplied by `factor(run)` in Double and rounded once to its type; nil when its bytes
  /// cannot be read. The elements are streamed from the source bytes into the new tensor's,
  /// `chunk` at a time, and `afterChunk` gets the range of elements each chunk read. A result
  /// of `scratchBytes` or more goes to a scratch file whose pages leave resident memory chunk
  /// by chunk, so that folding a large weight needs about one chunk of memory, not the weight.
  func scaled(
    runLength: Int, chunk: Int, factor: (Int) -> Double, afterChunk: (Range<Int>) -> Void
  ) -> Tensor? {
    precondition(runLength > 0 && chunk > 0, "runs and chunks need a positive length")
    let width = dataType.bitWidth / 8
    return withRealElements { source -> Tensor in
      func fill(_ target: UnsafeMutableRawBufferPointer, _ release: (Range<Int>) -> Void) {
        let afterEachChunk = { (elements: Range<Int>) in
          afterChunk(elements)
          release(elements.lowerBound * width..<elements.upperBound * width)
        }
        switch dataType {
        case .float: Self.scaleRuns(source, into: target, as: Float.self, runLength, chunk, factor, afterEachChunk)
        case .float16: Self.scaleRuns(source, into: target, as: Float16.self, runLength, chunk, factor, afterEachChunk)
        default: Self.scaleRuns(source, into: target, as: Double.self, runLength, chunk, factor, afterEachChunk)
        }
      }
      let count = source.bytes.count
      if count >= Self.scratchBytes, let file = try? MappedFile.scratch(count: count, fill: fill) {
        return Tensor(dataType: dataType, dims: dims, storage: .mapped(file, 0..<count))
      }
      var data = Data(count: count)
      data.withUnsafeMutableBytes { fill($0, { _ in }) }
      return Tensor(dataType: dataType, dims: dims, bytes: data)
    }
  }

  /// Results from this size on are computed into a scratch file rather than memory.
  static let scratchBytes = 64 << 10

  /// Lets the mapped pages that hold elements `elements` of this float32, float16 or float64
  /// tensor leave resident memory (see `MappedFile.dropResidentPages`); other storage and
  /// element types are left alone.
  func dropResidentPages(elements: Range<Int>) {
    guard fusibleFloatTypes.contains(dataType) else { return }
    let width = dataType.bitWidth / 8
    dropResidentPages(bytes: elements.lowerBound * width..<elements.upperBound * width)
  }

  /// Scales `source` into `target` run by run: the factor is looked up once per run, and the
  /// run's elements are scaled in a tight loop over the element type.
  private static func scaleRuns<T: BinaryFloatingPoint>(
    _ source: RealElements, into target: UnsafeMutableRawBufferPointer, as type: T.Type, _ length: Int,
    _ chunk: Int, _ factor: (Int) -> Double, _ afterChunk: (Range<Int>) -> Void
  ) {
    let width = MemoryLayout<T>.stride
    for start in stride(from: 0, to: source.count, by: chunk) {
      let end = min(start + chunk, source.count)
      var index = start
      while index < end {
        let runEnd = min((index / length + 1) * length, end)
        let scale = factor(index / length)
        while index < runEnd {
          let value = source.bytes.loadUnaligned(fromByteOffset: index * width, as: T.self)
          target.storeBytes(of: T(Double(value) * scale), toByteOffset: index * width, as: T.self)
          index += 1
        }
      }
      afterChunk(start..<end)
    }
  }
}
