// `kiln targets`: list every deployment target with its pipeline and the ops it takes.

import ArgumentParser
import Foundation
import Kiln

/// Lists the formats `kiln convert --target` can write.
struct TargetsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "targets",
    abstract: "List every deployment target with its legalization pipeline and supported ops.",
    discussion: """
      `kiln convert MODEL --target NAME -o OUT` writes one; a model with ops the target does \
      not take is refused (exit 2) with every such node listed.
      """)

  @Flag(help: "Print the list as JSON.")
  var json = false

  func run() throws {
    if json {
      FileHandle.standardOutput.write(try TargetCatalog.json() + Data("\n".utf8))
    } else {
      print(TargetCatalog.text(), terminator: "")
    }
  }
}
