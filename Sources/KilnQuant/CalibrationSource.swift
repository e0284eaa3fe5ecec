// Where calibration samples come from: image folders, tensor files, or memory.

import KilnRuntime

/// One calibration sample: a tensor for every model input, by input name.
public typealias CalibrationSample = [String: HostTensor]

/// A source of calibration samples in a fixed, deterministic order, read one at a time so that
/// memory stays bounded by one sample, never by the number of samples.
public protocol CalibrationSource {
  /// The number of samples.
  var count: Int { get }
  /// A name for sample `index` (a file name relative to the source's folder), used in
  /// messages and reports.
  func name(at index: Int) -> String
  /// Reads sample `index` (0 ..< count). Throws a KilnError naming the file when it cannot.
  /// Calibration calls it from several threads at once (one per worker), for different
  /// indices.
  func sample(at index: Int) throws -> CalibrationSample
}
