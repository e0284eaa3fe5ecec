// `kiln passes`: list every optimization pass with its summary and options.

import ArgumentParser
import Kiln

/// Lists the passes that pipelines and `--passes` can name.
struct PassesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "passes",
    abstract: "List every optimization pass with its summary and options.",
    discussion: """
      Pipelines (passes/*.pipeline, or --pipeline PATH) name one pass per line, with options \
      as key=value; `kiln convert --passes a,b,c` runs a list of passes.
      """)

  func run() throws {
    print(PassCatalog.text(), terminator: "")
  }
}
