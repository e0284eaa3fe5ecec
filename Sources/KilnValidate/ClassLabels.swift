// The labels file of `kiln validate --labels`: which class each image is.

import Foundation
import KilnIR

/// Class indices by image file name, from lines "NAME<tab or space>CLASS" (blank lines and
/// lines starting with # are skipped; the name may hold spaces, the class is the last field).
public struct ClassLabels: Sendable, Equatable {
  public var classes: [String: Int]

  public init(classes: [String: Int]) { self.classes = classes }

  /// Reads a labels file; a malformed line is bad input naming its number.
  public static func load(path: String) throws -> ClassLabels {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KilnError.badInput("cannot read the labels file", file: path)
    }
    return try parse(String(decoding: data, as: UTF8.self), file: path)
  }

  /// Parses the text of a labels file.
  public static func parse(_ text: String, file: String? = nil) throws -> ClassLabels {
    var classes: [String: Int] = [:]
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      guard let split = line.lastIndex(where: { $0 == " " || $0 == "\t" }),
        let label = Int(line[line.index(after: split)...]), label >= 0
      else {
        throw KilnError.badInput("line \(number + 1) is not 'NAME CLASS' with a class index >= 0", file: file)
      }
      classes[line[..<split].trimmingCharacters(in: .whitespaces)] = label
    }
    return ClassLabels(classes: classes)
  }

  /// The label of every sample, in order; bad input naming the labels that match no sample
  /// and the samples without a label.
  public func labels(of samples: [String]) throws -> [Int] {
    let names = Set(samples)
    let missing = classes.keys.filter { !names.contains($0) }.sorted()
    if !missing.isEmpty {
      throw KilnError.badInput(
        "the labels file names \(missing.count) images that are not among the samples: \(Self.listed(missing))")
    }
    let unlabeled = samples.filter { classes[$0] == nil }
    if !unlabeled.isEmpty {
      throw KilnError.badInput("\(unlabeled.count) images have no label: \(Self.listed(unlabeled))")
    }
    return samples.map { classes[$0]! }
  }

  /// The first few names, and how many more.
  static func listed(_ names: [String]) -> String {
    let shown = names.prefix(5).joined(separator: ", ")
    return names.count > 5 ? "\(shown) and \(names.count - 5) more" : shown
  }
}
