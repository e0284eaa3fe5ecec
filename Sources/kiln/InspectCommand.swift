// `kiln inspect`: print what a model contains.

import ArgumentParser
import Foundation
import Kiln

/// Prints a model's producer, versions, inputs and outputs, op histogram and parameters.
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Print a summary of a model.",
    discussion: """
      Shows the producer, IR version, opsets, inputs and outputs with element types and shapes
      (symbolic dims by name), the node count and op-type histogram, the parameter count and
      bytes, and the external-data files the weights are in. Weights are not read.
      """)

  @Argument(help: "The model file (ONNX).")
  var model: String

  @Flag(help: "Print the summary as JSON.")
  var json = false

  func run() throws {
    let summary = try ModelInspection.run(path: model)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(summary), as: UTF8.self))
    } else {
      print(summary.text)
    }
  }
}
