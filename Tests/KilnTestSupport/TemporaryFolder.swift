// Temporary folders and the files in them.

import Foundation

/// A fresh folder under the system temporary directory.
public struct TemporaryFolder: Sendable {
  public let path: String

  public init(path: String) { self.path = path }

  /// The path of `name` inside the folder.
  public func file(_ name: String) -> String { path + "/" + name }

  /// Creates the subfolder `name` and returns its path.
  @discardableResult
  public func folder(_ name: String) throws -> String {
    try FileManager.default.createDirectory(atPath: file(name), withIntermediateDirectories: true)
    return file(name)
  }

  /// The names in the folder, or in its subfolder `sub`, sorted (hidden temporary files included).
  public func contents(_ sub: String? = nil) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: sub.map(file) ?? path).sorted()
  }
}

/// Runs `body` with a new temporary folder and removes the folder afterwards.
public func withTemporaryFolder<R>(_ body: (TemporaryFolder) throws -> R) throws -> R {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("kiln-tests-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: path) }
  return try body(TemporaryFolder(path: path))
}

/// The bytes of the file at `path`.
public func fileBytes(_ path: String) throws -> Data {
  try Data(contentsOf: URL(fileURLWithPath: path))
}

/// The size of the file at `path`.
public func fileSize(_ path: String) throws -> Int64 {
  let attributes = try FileManager.default.attributesOfItem(atPath: path)
  return (attributes[.size] as? NSNumber)?.int64Value ?? -1
}
