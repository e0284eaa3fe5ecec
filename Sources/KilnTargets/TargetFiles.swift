// Writing a target's files all together: every one appears, or none changes.

import Foundation
import KilnIR

/// One file a target wrote, and its size.
public struct WrittenFile: Sendable, Equatable, Codable {
  public var path: String
  public var bytes: Int64

  public init(path: String, bytes: Int64) {
    self.path = path
    self.bytes = bytes
  }
}

/// Writes a set of files so that either all of them appear or none of the destinations
/// changes: each is written to a temporary name beside its destination, all are synced, and
/// only then are they renamed into place. On an error every temporary file is removed.
public enum TargetFiles {
  /// The contents of one file: a destination and a function that writes its bytes.
  public typealias Content = (path: String, write: (AtomicOutputFile) throws -> Void)

  /// Writes every file of `contents` (see the type's comment) and returns their sizes.
  @discardableResult
  public static func write(_ contents: [Content]) throws -> [WrittenFile] {
    var files: [AtomicOutputFile] = []
    defer { files.forEach { $0.discard() } }
    for content in contents {
      let file = try AtomicOutputFile(destination: content.path)
      files.append(file)
      do {
        try content.write(file)
      } catch let error as KilnError {
        throw error.inFile(content.path)
      }
    }
    for file in files { try file.seal() }
    for file in files { try file.moveIntoPlace() }
    return files.map { WrittenFile(path: $0.destination, bytes: $0.bytesWritten) }
  }
}
