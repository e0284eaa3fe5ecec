// A read-only memory mapping of a whole file, shared by the tensors that slice it.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file mapped into memory. Tensors keep slices of it instead of copying weights; the
/// mapping lives as long as any tensor refers to it. A model file is mapped read-only; a
/// scratch file (see `scratch`) holds a large tensor computed by Kiln.
public final class MappedFile: @unchecked Sendable {
  /// The path the file was opened from.
  public let path: String
  /// The file's size in bytes.
  public let count: Int
  private let base: UnsafeRawPointer?

  private init(path: String, count: Int, base: UnsafeRawPointer?) {
    self.path = path
    self.count = count
    self.base = base
  }

  /// Maps `path` read-only. Throws a `KilnError` naming the file when it cannot be opened.
  public convenience init(path: String) throws {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw KilnError.badInput(
        "cannot open file: \(String(cString: strerror(errno)))", file: path)
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      throw KilnError.badInput("cannot read file size", file: path)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw KilnError.badInput("not a regular file", file: path)
    }
    let count = Int(info.st_size)
    guard count > 0 else {
      self.init(path: path, count: 0, base: nil)
      return
    }
    let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
    guard let address, address != MAP_FAILED else {
      throw KilnError.badInput("cannot map file: \(String(cString: strerror(errno)))", file: path)
    }
    self.init(path: path, count: count, base: UnsafeRawPointer(address))
  }

  /// A scratch file of `count` bytes (more than zero) in the temporary folder, filled by
  /// `fill`. The file is unlinked at once, so it vanishes with the mapping; its space is
  /// reserved first, so a full disk is an error here, never a fault while filling. `fill` gets
  /// the bytes and a function that lets a written range leave resident memory (the kernel
  /// keeps it in the file): a large tensor computed into a scratch file never needs to be
  /// resident whole. Throws when the file cannot be made; callers fall back to memory.
  public static func scratch(
    count: Int, fill: (UnsafeMutableRawBufferPointer, _ release: (Range<Int>) -> Void) -> Void
  ) throws -> MappedFile {
    precondition(count > 0, "a scratch file needs a size")
    var template = Array((NSTemporaryDirectory() + "/kiln-scratch-XXXXXX").utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard descriptor >= 0 else { throw scratchError("cannot create a scratch file") }
    let path = String(cString: template)
    unlink(path)
    defer { close(descriptor) }
    let reserved = posix_fallocate(descriptor, 0, off_t(count))
    guard reserved == 0 else {
      throw KilnError.internalError(
        "cannot reserve \(count) bytes for a scratch file in \(NSTemporaryDirectory()): \(String(cString: strerror(reserved)))")
    }
    let address = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
    guard let address, address != MAP_FAILED else { throw scratchError("cannot map a scratch file") }
    let file = MappedFile(path: path, count: count, base: UnsafeRawPointer(address))
    fill(UnsafeMutableRawBufferPointer(start: address, count: count), file.dropResidentPages(in:))
    return file
  }

  private static func scratchError(_ what: String) -> KilnError {
    KilnError.internalError("\(what) in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))")
  }

  deinit {
    if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
  }

  /// Calls `body` with the bytes in `range`, which must lie inside the file.
  public func withBytes<R>(
    in range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R
  ) rethrows -> R {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside mapping")
    guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
  }

  /// Tells the kernel that the pages covering `range` are not needed for now, so they leave
  /// this process's resident memory; reading them again faults them back in from the file.
  /// Used after streaming a weight to an output, to keep peak memory near what is in use.
  public func dropResidentPages(in range: Range<Int>) {
    guard let base, !range.isEmpty else { return }
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (range.lowerBound + pageSize - 1) / pageSize * pageSize
    let end = range.upperBound / pageSize * pageSize
    guard end > start else { return }
    madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
  }

  /// Calls `body` with the whole file.
  public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withBytes(in: 0..<count, body)
  }
}
