// Where the files that drive vendor toolkits are: scripts shipped with Kiln and the rknn venv.

import Foundation

/// Finds what Kiln ships for vendor toolkits: beside an installed `kiln` (`share/kiln/…`)
/// or in the source tree Kiln was built from.
enum ToolkitFiles {
  /// The source tree's root (the folder of Package.swift).
  static let sourceRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The driver script `name` (in `scripts/`), first found: beside the executable, then in
  /// the source tree; nil when neither has it.
  static func script(_ name: String) -> String? {
    let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
    let installed = executable.deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("share/kiln/scripts").appendingPathComponent(name).path
    let source = sourceRoot.appendingPathComponent("scripts").appendingPathComponent(name).path
    return [installed, source].first { FileManager.default.fileExists(atPath: $0) }
  }

  /// The python of the venv `scripts/setup.sh` makes for rknn-toolkit2: `$KILN_RKNN_PYTHON`,
  /// else `.venv-rknn/bin/python` in the source tree; nil when it is not there.
  static func rknnPython(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
    let python = environment["KILN_RKNN_PYTHON"] ?? sourceRoot.appendingPathComponent(".venv-rknn/bin/python").path
    return FileManager.default.isExecutableFile(atPath: python) ? python : nil
  }
}
