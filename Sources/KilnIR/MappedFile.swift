// A read-only memory mapping of a whole file, shared by the tensors that slice it.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file mapped read-only into memory. Tensors keep slices of it instead of copying weights;
/// the mapping lives as long as any tensor refers to it.
public final class MappedFile: @unchecked Sendable {
  /// The path the file was opened from.
  public let path: String
  /// The file's size in bytes.
  public let count: Int
  private let base: UnsafeRawPointer?

  /// Maps `path` read-only. Throws a `KilnError` naming the file when it cannot be opened.
  public init(path: String) throws {
    self.path = path
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
    count = Int(info.st_size)
    if count == 0 {
      base = nil
      return
    }
    let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
    guard let address, address != MAP_FAILED else {
      throw KilnError.badInput("cannot map file: \(String(cString: strerror(errno)))", file: path)
    }
    base = UnsafeRawPointer(address)
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
