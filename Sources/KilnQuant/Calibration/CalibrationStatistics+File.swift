// Statistics files: canonical JSON bytes, atomic writes, checked reads, merging files.

import Foundation
import KilnIR

extension CalibrationStatistics: Decodable {
  private enum CodingKeys: String, CodingKey {
    case schema, version, graph, inputs, bins, method, samples, tensors
  }

  /// The first two fields alone, read before the rest to refuse other formats clearly.
  private struct Header: Decodable {
    var schema: String?
    var version: Int?
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      graphName: try container.decode(String.self, forKey: .graph),
      inputNames: try container.decode([String].self, forKey: .inputs),
      binCount: try container.decode(Int.self, forKey: .bins))
    do {
      method = try CalibrationMethod(text: try container.decode(String.self, forKey: .method))
    } catch let error as KilnError {
      throw DecodingError.dataCorruptedError(forKey: .method, in: container, debugDescription: error.message)
    }
    sampleCount = try container.decode(Int.self, forKey: .samples)
    tensors = try container.decode([String: TensorHistogram].self, forKey: .tensors)
    if let name = tensors.keys.sorted().first(where: { tensors[$0]?.binCount != binCount }) {
      throw DecodingError.dataCorruptedError(
        forKey: .tensors, in: container, debugDescription: "tensor '\(name)' does not have \(binCount) bins")
    }
  }

  /// The file's bytes: JSON with sorted keys, floats in their shortest exact form, a newline
  /// (see `StatisticsJSONWriter`).
  public func jsonData() -> Data {
    var writer = StatisticsJSONWriter()
    writer.write(self)
    return Data(writer.bytes + [UInt8(ascii: "\n")])
  }

  /// Writes the statistics to `path` atomically.
  public func write(to path: String) throws {
    let file = try AtomicOutputFile(destination: path)
    try file.write(jsonData())
    try file.commit()
  }

  /// Reads statistics from `path`; a file that is not statistics of this version is bad input
  /// naming it.
  public static func read(path: String) throws -> CalibrationStatistics {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw KilnError.badInput("cannot read the statistics file", file: path)
    }
    let decoder = JSONDecoder()
    guard let header = try? decoder.decode(Header.self, from: data), header.schema == schema else {
      throw KilnError.badInput("not a Kiln calibration statistics file", file: path, hint: "write one with `kiln calibrate`")
    }
    guard header.version == version else {
      throw KilnError.badInput(
        "statistics of format version \(header.version.map(String.init) ?? "?") cannot be read; this Kiln reads version \(version)",
        file: path, hint: "calibrate again with this Kiln")
    }
    do {
      return try decoder.decode(CalibrationStatistics.self, from: data)
    } catch let error as DecodingError {
      throw KilnError.badInput("the statistics file is damaged: \(describe(error))", file: path)
    }
  }

  /// Reads and merges the statistics files at `paths` (at least one), in order.
  public static func merge(paths: [String]) throws -> CalibrationStatistics {
    guard let first = paths.first else { throw KilnError.badInput("no statistics files to merge") }
    var merged = try read(path: first)
    for path in paths.dropFirst() { try merged.merge(read(path: path), file: path) }
    return merged
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
      .valueNotFound(_, let context):
      let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
      return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    @unknown default:
      return "\(error)"
    }
  }
}
