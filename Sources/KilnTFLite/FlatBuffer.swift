// A bounds-checked reader of the flatbuffer wire format: tables with vtables, vectors, strings.

/// A flatbuffer held in memory, read in place.
///
/// Only what reading needs: the root offset, tables located through their vtables (absent
/// fields give the caller's default), vectors of scalars, tables and strings, and unions (a
/// type field beside a table field). Every offset is checked against the buffer before it is
/// followed, so a corrupt or hostile file is a `FlatBufferError`, never a fault.
struct FlatBuffer {
  let bytes: UnsafeRawBufferPointer

  /// The root table, after checking the 4-character file identifier when one is given.
  func root(identifier: String? = nil) throws(FlatBufferError) -> FlatTable {
    if let identifier {
      guard bytes.count >= 8, bytes[4..<8].elementsEqual(identifier.utf8) else {
        throw FlatBufferError("the file identifier is not \(identifier)")
      }
    }
    return try table(at: try indirect(0))
  }

  /// The little-endian scalar of type `T` at byte `position`.
  func scalar<T: FixedWidthInteger>(_: T.Type = T.self, at position: Int) throws(FlatBufferError) -> T {
    try check(position, MemoryLayout<T>.size)
    return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
  }

  /// The position an unsigned 32-bit offset stored at `position` points to.
  func indirect(_ position: Int) throws(FlatBufferError) -> Int {
    position + Int(try scalar(UInt32.self, at: position))
  }

  /// The table whose start is at `position`.
  func table(at position: Int) throws(FlatBufferError) -> FlatTable {
    let vtable = position - Int(try scalar(Int32.self, at: position))
    let vtableSize = Int(try scalar(UInt16.self, at: vtable))
    let tableSize = Int(try scalar(UInt16.self, at: vtable + 2))
    guard vtableSize >= 4, vtableSize % 2 == 0 else { throw FlatBufferError("a vtable at \(vtable) has size \(vtableSize)") }
    try check(vtable, vtableSize)
    try check(position, tableSize)
    return FlatTable(buffer: self, position: position, vtable: vtable, vtableSize: vtableSize, tableSize: tableSize)
  }

  /// The vector whose length prefix is at `position`.
  func vector(at position: Int, elementSize: Int) throws(FlatBufferError) -> FlatVector {
    let count = Int(try scalar(UInt32.self, at: position))
    let (size, overflow) = count.multipliedReportingOverflow(by: elementSize)
    guard !overflow else { throw FlatBufferError("a vector at \(position) claims \(count) elements") }
    try check(position + 4, size)
    return FlatVector(buffer: self, start: position + 4, count: count, elementSize: elementSize)
  }

  /// The UTF-8 string whose length prefix is at `position`.
  func string(at position: Int) throws(FlatBufferError) -> String {
    let vector = try vector(at: position, elementSize: 1)
    return String(decoding: bytes[vector.byteRange], as: UTF8.self)
  }

  /// Checks that `count` bytes from `position` lie inside the buffer.
  func check(_ position: Int, _ count: Int) throws(FlatBufferError) {
    guard position >= 0, count >= 0, position <= bytes.count, count <= bytes.count - position else {
      throw FlatBufferError("an offset points outside the file (\(count) bytes at \(position) of \(bytes.count))")
    }
  }
}

/// A problem with the flatbuffer's structure; the reader turns it into a `KilnError`.
struct FlatBufferError: Error, Equatable {
  let message: String
  init(_ message: String) { self.message = message }
}

/// A table: fields found through its vtable by index (the order they are declared in the schema).
struct FlatTable {
  let buffer: FlatBuffer
  let position: Int
  let vtable: Int
  let vtableSize: Int
  let tableSize: Int

  /// The position of field `index`, or nil when the vtable leaves it out (the default applies).
  func field(_ index: Int) throws(FlatBufferError) -> Int? {
    let slot = 4 + 2 * index
    guard slot + 2 <= vtableSize else { return nil }
    let offset = Int(try buffer.scalar(UInt16.self, at: vtable + slot))
    guard offset != 0 else { return nil }
    guard offset < tableSize else { throw FlatBufferError("field \(index) of the table at \(position) lies outside it") }
    return position + offset
  }

  /// An integer field, or `defaultValue` when absent.
  func scalar<T: FixedWidthInteger>(_ index: Int, default defaultValue: T) throws(FlatBufferError) -> T {
    guard let at = try field(index) else { return defaultValue }
    return try buffer.scalar(T.self, at: at)
  }

  /// A float field, or `defaultValue` when absent.
  func float(_ index: Int, default defaultValue: Float) throws(FlatBufferError) -> Float {
    guard let at = try field(index) else { return defaultValue }
    return Float(bitPattern: try buffer.scalar(UInt32.self, at: at))
  }

  /// A bool field, or `defaultValue` when absent.
  func bool(_ index: Int, default defaultValue: Bool = false) throws(FlatBufferError) -> Bool {
    try scalar(index, default: UInt8(defaultValue ? 1 : 0)) != 0
  }

  /// A sub-table field (also the value of a union), or nil when absent.
  func table(_ index: Int) throws(FlatBufferError) -> FlatTable? {
    guard let at = try field(index) else { return nil }
    return try buffer.table(at: try buffer.indirect(at))
  }

  /// A string field, or nil when absent.
  func string(_ index: Int) throws(FlatBufferError) -> String? {
    guard let at = try field(index) else { return nil }
    return try buffer.string(at: try buffer.indirect(at))
  }

  /// A vector field whose elements take `elementSize` bytes (4 for offsets), or nil when absent.
  func vector(_ index: Int, elementSize: Int) throws(FlatBufferError) -> FlatVector? {
    guard let at = try field(index) else { return nil }
    return try buffer.vector(at: try buffer.indirect(at), elementSize: elementSize)
  }

  /// A vector of integers as an array; empty when absent.
  func integers<T: FixedWidthInteger>(_ index: Int, as _: T.Type) throws(FlatBufferError) -> [T] {
    guard let vector = try vector(index, elementSize: MemoryLayout<T>.size) else { return [] }
    var result: [T] = []
    result.reserveCapacity(vector.count)
    for i in 0..<vector.count { result.append(try vector.scalar(T.self, at: i)) }
    return result
  }

  /// A vector of floats as an array; empty when absent.
  func floats(_ index: Int) throws(FlatBufferError) -> [Float] {
    try integers(index, as: UInt32.self).map(Float.init(bitPattern:))
  }

  /// A vector of tables as an array; empty when absent.
  func tables(_ index: Int) throws(FlatBufferError) -> [FlatTable] {
    guard let vector = try vector(index, elementSize: 4) else { return [] }
    var result: [FlatTable] = []
    result.reserveCapacity(vector.count)
    for i in 0..<vector.count { result.append(try vector.table(at: i)) }
    return result
  }
}

/// A vector: `count` elements of `elementSize` bytes from `start`.
struct FlatVector {
  let buffer: FlatBuffer
  let start: Int
  let count: Int
  let elementSize: Int

  /// The bytes the elements occupy, as positions in the buffer.
  var byteRange: Range<Int> { start..<start + count * elementSize }

  /// Element `index` as an integer.
  func scalar<T: FixedWidthInteger>(_: T.Type, at index: Int) throws(FlatBufferError) -> T {
    try buffer.scalar(T.self, at: start + index * elementSize)
  }

  /// Element `index` of a vector of tables.
  func table(at index: Int) throws(FlatBufferError) -> FlatTable {
    try buffer.table(at: try buffer.indirect(start + index * 4))
  }
}
