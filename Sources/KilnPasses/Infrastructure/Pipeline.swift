// Pipelines: an ordered list of configured passes, parsed from text or loaded by name.

import Foundation
import KilnIR

/// An ordered list of passes with their options, run by the `PassManager`.
///
/// Text form (`passes/*.pipeline`), one pass per line:
///
///     # Cleanup first, then folding.
///     fixed-point max-iterations=8      # run the whole list until nothing changes (at most 8 times)
///     eliminate-identity
///     fold-constants max-growth=1MiB
///
/// `#` starts a comment; blank lines are ignored; options are `key=value` words after the
/// pass name. The one directive, `fixed-point`, makes the pipeline run to a fixed point.
public struct Pipeline {
  /// One configured pass and the line it came from (nil when built in code).
  public struct Step {
    public var pass: any Pass
    public var line: Int?

    public init(pass: any Pass, line: Int? = nil) {
      self.pass = pass
      self.line = line
    }
  }

  /// Where the pipeline came from: a name, a path or `--passes`.
  public var name: String
  public var steps: [Step]
  /// When set, the manager repeats the whole list until no pass changes the graph, at most
  /// this many times; when nil it runs the list once.
  public var fixedPointLimit: Int?

  public init(name: String, passes: [any Pass], fixedPointLimit: Int? = nil) {
    self.name = name
    self.steps = passes.map { Step(pass: $0) }
    self.fixedPointLimit = fixedPointLimit
  }

  /// The default cap of the `fixed-point` directive.
  public static let defaultFixedPointLimit = 10

  /// The names of the passes, in order.
  public var passNames: [String] { steps.map(\.pass.name) }

  // MARK: Parsing

  /// Parses pipeline text. Errors are usage `KilnError`s that name `source` as the file and
  /// start with the line number: "line 3: unknown pass 'fold-everything'".
  public static func parse(_ text: String, source: String, registry: PassRegistry = .standard) throws -> Pipeline {
    var pipeline = Pipeline(name: source, passes: [])
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = index + 1
      let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
      guard let head = words.first else { continue }
      do {
        let options = try words.dropFirst().map(splitOption)
        if head == "fixed-point" {
          pipeline.fixedPointLimit = try fixedPointLimit(options)
        } else {
          pipeline.steps.append(Step(pass: try registry.makePass(head, options: options), line: line))
        }
      } catch let error as KilnError {
        var located = error
        located.message = "line \(line): " + error.message
        located.file = source
        throw located
      }
    }
    return pipeline
  }

  /// A pipeline from a comma-separated list of pass names (`--passes a,b,c`).
  public static func list(_ names: String, registry: PassRegistry = .standard) throws -> Pipeline {
    let items = names.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
      throw KilnError(.usage, "--passes needs a comma-separated list of pass names, e.g. eliminate-identity,eliminate-dead-code")
    }
    var passes: [any Pass] = []
    for item in items {
      do {
        passes.append(try registry.makePass(item))
      } catch let error as KilnError {
        var located = error
        located.message = "--passes: " + error.message
        throw located
      }
    }
    return Pipeline(name: "--passes", passes: passes)
  }

  /// Reads and parses the pipeline file at `path`.
  public static func load(path: String, registry: PassRegistry = .standard) throws -> Pipeline {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw KilnError(.usage, "cannot read the pipeline file", file: path, hint: "check the path")
    }
    return try parse(text, source: path, registry: registry)
  }

  /// Loads a pipeline by name (`default` → `FOLDER/default.pipeline` in the first of
  /// `folders` that has it) or, when `nameOrPath` contains a `/` or ends in `.pipeline`, from
  /// that path.
  public static func load(_ nameOrPath: String, searching folders: [String], registry: PassRegistry = .standard)
    throws -> Pipeline
  {
    if nameOrPath.contains("/") || nameOrPath.hasSuffix(".pipeline") {
      return try load(path: nameOrPath, registry: registry)
    }
    let manager = FileManager.default
    for folder in folders {
      let path = URL(fileURLWithPath: folder).appendingPathComponent(nameOrPath + ".pipeline").path
      if manager.fileExists(atPath: path) {
        var pipeline = try load(path: path, registry: registry)
        pipeline.name = nameOrPath
        return pipeline
      }
    }
    let known = Set(folders.flatMap { folder in
      ((try? manager.contentsOfDirectory(atPath: folder)) ?? [])
        .filter { $0.hasSuffix(".pipeline") }.map { String($0.dropLast(".pipeline".count)) }
    }).sorted()
    throw KilnError(
      .usage, "unknown pipeline '\(nameOrPath)'",
      hint: known.isEmpty
        ? "no pipeline folder was found; give a path to a .pipeline file"
        : "available pipelines: \(known.joined(separator: ", ")), or a path to a .pipeline file")
  }

  private static func splitOption(_ word: String) throws -> (name: String, value: String) {
    guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
      throw KilnError(.usage, "expected an option as key=value, found '\(word)'")
    }
    return (String(word[..<equals]), String(word[word.index(after: equals)...]))
  }

  private static func fixedPointLimit(_ options: [(name: String, value: String)]) throws -> Int {
    var limit = defaultFixedPointLimit
    for (name, value) in options {
      guard name == "max-iterations" else {
        throw KilnError(.usage, "fixed-point has no option '\(name)'", hint: "its option: max-iterations")
      }
      guard let number = Int(value), number >= 1 else {
        throw KilnError(.usage, "option 'max-iterations' of fixed-point must be a whole number of at least 1, not '\(value)'")
      }
      limit = number
    }
    return limit
  }
}
