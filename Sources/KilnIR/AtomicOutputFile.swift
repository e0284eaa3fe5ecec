// Writing an output file so that it appears whole or not at all.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An output file written to a temporary name beside its destination and renamed into place
/// by `commit()`. Until then the destination is untouched; if the writer is dropped without a
/// commit, or `discard()` is called, the temporary file is removed. Writes are buffered.
public final class AtomicOutputFile {
  /// Where the file will appear.
  public let destination: String
  /// The temporary file being written.
  public let temporaryPath: String
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private var finished = false
  private var sealed = false
  /// Bytes written so far.
  public private(set) var bytesWritten: Int64 = 0

  private static let bufferCapacity = 1 << 20

  /// Creates the temporary file next to `destination`.
  public init(destination: String) throws {
    self.destination = destination
    let url = URL(fileURLWithPath: destination)
    let folder = url.deletingLastPathComponent().path
    var template = Array("\(folder)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard created >= 0 else {
      throw KilnError.badInput(
        "cannot create output file: \(String(cString: strerror(errno)))", file: destination,
        hint: "check that the folder exists and is writable")
    }
    descriptor = created
    temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    fchmod(descriptor, 0o644)
    buffer.reserveCapacity(Self.bufferCapacity)
  }

  deinit {
    if !finished { discard() }
  }

  /// Appends bytes.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    if buffer.count + bytes.count > Self.bufferCapacity { try flush() }
    if bytes.count >= Self.bufferCapacity {
      try writeFully(bytes)
    } else {
      buffer.append(contentsOf: bytes)
    }
    bytesWritten += Int64(bytes.count)
  }

  /// Appends `data`.
  public func write(_ data: Data) throws {
    try data.withUnsafeBytes { try write($0) }
  }

  /// Appends zero bytes until `bytesWritten` is a multiple of `alignment`.
  public func pad(toMultipleOf alignment: Int64) throws {
    let remainder = bytesWritten % alignment
    guard remainder != 0 else { return }
    try write(Data(count: Int(alignment - remainder)))
  }

  /// Flushes, syncs and renames the file into place.
  public func commit() throws {
    try seal()
    try moveIntoPlace()
  }

  /// Flushes, syncs and closes the temporary file; `moveIntoPlace()` then renames it. Several
  /// files written together are all sealed before any is moved, so that a failure to write one
  /// leaves every destination as it was.
  public func seal() throws {
    try flush()
    guard fsync(descriptor) == 0 else { throw failure("cannot sync") }
    close(descriptor)
    sealed = true
  }

  /// Renames the sealed temporary file to its destination.
  public func moveIntoPlace() throws {
    precondition(sealed && !finished, "moveIntoPlace() needs a sealed file, moved once")
    finished = true
    guard rename(temporaryPath, destination) == 0 else {
      let error = failure("cannot move the finished file into place")
      unlink(temporaryPath)
      throw error
    }
  }

  /// Removes the temporary file; the destination stays as it was.
  public func discard() {
    guard !finished else { return }
    finished = true
    if !sealed { close(descriptor) }
    unlink(temporaryPath)
  }

  private func flush() throws {
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try writeFully($0) }
    buffer.removeAll(keepingCapacity: true)
  }

  private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
    guard var pointer = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
      let written = Glibc.write(descriptor, pointer, remaining)
      if written < 0 {
        if errno == EINTR { continue }
        throw failure("cannot write")
      }
      pointer += written
      remaining -= written
    }
  }

  private func failure(_ what: String) -> KilnError {
    KilnError.badInput("\(what): \(String(cString: strerror(errno)))", file: destination)
  }
}
