// Writes a cfg and a weights file with a chosen header, for the reader tests.

import Foundation
import KilnTestSupport

/// A Darknet model on disk: the cfg and weights paths.
struct DarknetFiles {
  var cfg: String
  var weights: String

  /// Writes `cfg` and a weights file holding the header `major.minor.revision` with `seen`
  /// (int64 or int32 by darknet's rule) followed by `floats`.
  init(
    in folder: TemporaryFolder, cfg text: String, floats: [Float], version: (Int32, Int32, Int32) = (0, 2, 0),
    seen: Int64 = 0
  ) throws {
    cfg = folder.file("model.cfg")
    weights = folder.file("model.weights")
    try text.write(toFile: cfg, atomically: true, encoding: .utf8)
    var bytes = littleEndianBytes([version.0, version.1, version.2])
    let wideSeen = version.0 * 10 + version.1 >= 2 && version.0 < 1000 && version.1 < 1000
    bytes += wideSeen ? littleEndianBytes([seen]) : littleEndianBytes([Int32(seen)])
    bytes += littleEndianBytes(floats)
    try bytes.write(to: URL(fileURLWithPath: weights))
  }
}
