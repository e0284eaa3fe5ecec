// The text and JSON of `kiln targets`: every target with its pipeline and supported ops.

import Foundation
import KilnTargets

/// Describes the deployment targets for people (text) and programs (JSON).
public enum TargetCatalog {
  /// One block per target: name and summary, its legalization pipeline, then one line per
  /// op with its constraints.
  public static func text(targets: [any DeploymentTarget] = Targets.all) -> String {
    var text = ""
    for target in targets {
      text += "\(target.name)  \(target.summary)\n"
      text += "  pipeline: \(target.legalizationPipeline)\n"
      if target.supportsEveryOp {
        text += "  ops: every op\n"
        continue
      }
      let width = target.supportedOps.map(\.op.count).max() ?? 0
      text += "  ops (\(target.supportedOps.count)):\n"
      for op in target.supportedOps {
        let name = op.domain.isEmpty ? op.op : "\(op.domain).\(op.op)"
        text += "    " + (op.constraints.isEmpty ? name : name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
          + op.constraints.joined(separator: "; ")) + "\n"
      }
    }
    return text
  }

  /// The targets as a JSON array of `{name, summary, pipeline, everyOp, ops: [{op, domain,
  /// constraints}]}`.
  public static func json(targets: [any DeploymentTarget] = Targets.all) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(targets.map(Entry.init))
  }

  private struct Entry: Encodable {
    struct Op: Encodable {
      var op: String
      var domain: String
      var constraints: [String]
    }
    var name: String
    var summary: String
    var pipeline: String
    var everyOp: Bool
    var ops: [Op]

    init(_ target: any DeploymentTarget) {
      name = target.name
      summary = target.summary
      pipeline = target.legalizationPipeline
      everyOp = target.supportsEveryOp
      ops = target.supportedOps.map { Op(op: $0.op, domain: $0.domain, constraints: $0.constraints) }
    }
  }
}
