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
      Shows the producer, IR version, opsets, inputs and outputs with element types and shapes \
      (symbolic dims by name), the node count and op-type histogram, the parameter count and \
      bytes, and the external-data files the weights are in. Weights are not read. \
      With --graph it prints the model's IR as stable, diffable text instead.
      """)

  @Argument(help: "The model file (ONNX, TFLite, Caffe .prototxt or Darknet .cfg; recognized by content).")
  var model: String

  @Option(help: "The weights file of a Caffe (.caffemodel) or Darknet (.weights) model.")
  var weights: String?

  @Flag(help: "Print the summary as JSON.")
  var json = false

  @Flag(help: "Print the whole graph as text (one node per line) instead of the summary.")
  var graph = false

  @Flag(help: "With --graph, also print the declared type of every value.")
  var types = false

  func validate() throws {
    if graph && json { throw ValidationError("--graph and --json exclude each other") }
    if types && !graph { throw ValidationError("--types goes with --graph") }
  }

  func run() throws {
    if graph {
      print(try ModelInspection.graphText(path: model, weights: weights, showTypes: types), terminator: "")
      return
    }
    let summary = try ModelInspection.run(path: model, weights: weights)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(summary), as: UTF8.self))
    } else {
      print(summary.text)
    }
  }
}
