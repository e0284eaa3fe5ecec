// The registry of deployment targets: the one list `--target` and `kiln targets` read.

import KilnIR

/// Every deployment target Kiln can write, by name.
public enum Targets {
  /// The targets in the order `kiln targets` lists them.
  public static let all: [any DeploymentTarget] = [ONNXTarget(), NCNNTarget()]

  /// The target called `name`; a usage error naming the known ones when there is none.
  public static func named(_ name: String) throws -> any DeploymentTarget {
    guard let target = all.first(where: { $0.name == name }) else {
      throw KilnError(
        .usage, "there is no target '\(name)'",
        hint: "known targets: \(all.map(\.name).joined(separator: ", ")) (see `kiln targets`)")
    }
    return target
  }
}
