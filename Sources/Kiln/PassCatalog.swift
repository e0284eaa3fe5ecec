// The text of `kiln passes`: every registered pass with its summary and options.

import Foundation
import KilnPasses

/// Describes the passes of a registry for people.
public enum PassCatalog {
  /// One block per pass: its name and summary, then one line per option with kind, default
  /// and help.
  public static func text(registry: PassRegistry = .standard) -> String {
    let width = registry.passes.map { $0.name.count }.max() ?? 0
    var text = ""
    for pass in registry.passes {
      text += pass.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + pass.summary + "\n"
      for option in pass.options {
        text += String(repeating: " ", count: width + 4)
          + "\(option.name)=\(option.kind.rawValue) (default \(option.defaultValue)): \(option.help)\n"
      }
    }
    return text
  }
}
