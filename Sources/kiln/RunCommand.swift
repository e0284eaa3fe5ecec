// `kiln run`: run a model in the Kiln runtime on given or random inputs.

import ArgumentParser
import Foundation
import Kiln
import KilnIR

/// Runs a model and prints each output's type, shape and range, and the latency.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a model in the Kiln runtime.",
    discussion: """
      Inputs come from files (--input NAME=FILE.npy or NAME=FILE.pb) or, with --random, from a \
      seeded generator (floats in [-1, 1), integers in [0, 10)); dims that are not fixed need \
      --shape NAME=1x3x224x224. A model with ops the runtime lacks is refused before running, \
      naming every missing op. After one warm-up run, --repeat runs are timed. Prints each \
      output's name, element type, shape, min, max and mean, and the median and p90 latency; \
      with --output-dir writes each output as NAME.npy.
      """)

  @Argument(help: "The model file (ONNX, TFLite, Caffe .prototxt or Darknet .cfg; recognized by content).")
  var model: String

  @Option(help: "The weights file of a Caffe (.caffemodel) or Darknet (.weights) model.")
  var weights: String?

  @Option(name: .customLong("input"), help: "An input from a file: NAME=FILE.npy or NAME=FILE.pb (repeatable).")
  var inputs: [String] = []

  @Flag(help: "Give inputs without a file seeded random values.")
  var random = false

  @Option(help: "The seed of the random inputs.")
  var seed: UInt64 = 0

  @Option(name: .customLong("shape"), help: "The shape of a random input: NAME=1x3x224x224 (repeatable).")
  var shapes: [String] = []

  @Option(help: "Threads the kernels may use.")
  var threads = 1

  @Option(name: .customLong("repeat"), help: "Timed runs after the warm-up run.")
  var repeats = 1

  @Option(help: "Write each output as NAME.npy into this folder.")
  var outputDir: String?

  @Flag(help: "Print the report as JSON.")
  var json = false

  func validate() throws {
    if threads < 1 { throw ValidationError("--threads must be at least 1") }
    if repeats < 1 { throw ValidationError("--repeat must be at least 1") }
  }

  func run() throws {
    var request = ModelRunRequest()
    request.inputFiles = try Self.pairs(inputs, option: "--input")
    request.shapes = try Self.pairs(shapes, option: "--shape").mapValues(Self.parseShape)
    request.random = random
    request.seed = seed
    request.threads = threads
    request.repeats = repeats
    request.outputFolder = outputDir
    let report = try ModelRun.run(path: model, weights: weights, request: request)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      print(text(report), terminator: "")
    }
  }

  /// `NAME=VALUE` arguments by name; a name given twice is an error.
  static func pairs(_ arguments: [String], option: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for argument in arguments {
      guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
        throw KilnError(.usage, "\(option) takes NAME=VALUE, not '\(argument)'")
      }
      let name = String(argument[..<equals])
      guard result[name] == nil else { throw KilnError(.usage, "\(option) names '\(name)' twice") }
      result[name] = String(argument[argument.index(after: equals)...])
    }
    return result
  }

  /// `1x3x224x224` as sizes; an empty text is a scalar.
  static func parseShape(_ text: String) throws -> [Int] {
    if text.isEmpty { return [] }
    return try text.split(separator: "x", omittingEmptySubsequences: false).map {
      guard let size = Int($0), size >= 0 else {
        throw KilnError(.usage, "--shape takes sizes like 1x3x224x224, not '\(text)'")
      }
      return size
    }
  }

  private func text(_ report: ModelRunReport) -> String {
    var lines = report.outputs.map { output in
      var line = "\(output.name): \(output.dataType)[\(output.shape.map(String.init).joined(separator: ","))]"
      if let min = output.min, let max = output.max, let mean = output.mean {
        line += "  min \(number(min))  max \(number(max))  mean \(number(mean))"
      }
      if let file = output.file { line += "  -> \(file)" }
      return line
    }
    lines.append(
      "latency: median \(number(report.medianMilliseconds)) ms, p90 \(number(report.p90Milliseconds)) ms over \(report.runs) run\(report.runs == 1 ? "" : "s")")
    return lines.joined(separator: "\n") + "\n"
  }

  private func number(_ value: Double) -> String { String(format: "%.6g", value) }
}
