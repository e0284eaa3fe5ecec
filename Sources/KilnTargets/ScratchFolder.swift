// A private temporary folder for a vendor tool's inputs and outputs, removed when done.

import Foundation
import KilnIR

/// A new folder under the system's temporary folder, removed with everything in it when the
/// value is released.
final class ScratchFolder {
  let path: String

  init() throws {
    var template = Array((FileManager.default.temporaryDirectory.path + "/kiln-XXXXXX").utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw KilnError.internalError("cannot create a temporary folder in \(FileManager.default.temporaryDirectory.path)")
    }
    path = String(cString: made)
  }

  deinit {
    try? FileManager.default.removeItem(atPath: path)
  }

  /// The path of `name` in the folder.
  func file(_ name: String) -> String { URL(fileURLWithPath: path).appendingPathComponent(name).path }
}
