// What `kiln convert` prints: the summary table, or the same as JSON.

import Foundation
import KilnPasses
import KilnTargets

extension ConversionReport {
  /// One row of the op table: how many nodes of one op type before and after.
  public struct OpChange: Codable, Sendable, Equatable {
    public var op: String
    public var before: Int
    public var after: Int
  }

  /// Every op type of the input or the result, most frequent in the input first.
  public var opChanges: [OpChange] {
    let before = Dictionary(input.ops.map { ($0.op, $0.count) }, uniquingKeysWith: +)
    let after = Dictionary(result.ops.map { ($0.op, $0.count) }, uniquingKeysWith: +)
    return Set(before.keys).union(after.keys)
      .map { OpChange(op: $0, before: before[$0] ?? 0, after: after[$0] ?? 0) }
      .sorted { ($0.before, $0.after, $1.op) > ($1.before, $1.after, $0.op) }
  }

  /// The output's size, every file written together (0 when nothing was written).
  public var outputBytes: Int64 { files.map(\.bytes).reduce(0, +) }

  // MARK: Text

  /// The summary table; `verbose` adds every pass run and the passes' notes.
  public func text(verbose: Bool) -> String {
    var lines = opTable()
    lines.append("")
    lines += passTable(verbose: verbose)
    if verbose { lines += pipeline.notes.map { "  note: \($0)" } }
    if !fixedSymbols.isEmpty {
      lines.append(
        "fixed dims: " + fixedSymbols.keys.sorted().map { "\($0)=\(fixedSymbols[$0] ?? 0)" }.joined(separator: ", "))
    }
    if let verification {
      lines.append("")
      lines += verification.lines
    }
    if let legalization {
      let changed = Set(legalization.statistics.filter(\.changed).map(\.pass)).sorted()
      lines.append(
        "legalized for \(target): " + (changed.isEmpty ? "no pass changed the graph" : "changed by " + changed.joined(separator: ", ")))
    }
    if let output {
      var line = "wrote \(result.file) (\(ModelSummary.bytes(output.modelBytes))"
      if let data = output.externalDataPath {
        line += " + \(ModelSummary.bytes(output.externalBytes)) in \(output.externalTensorCount) tensors to \(data)"
      }
      lines.append(line + String(format: ") in %.2f s", seconds))
    } else if !files.isEmpty {
      let written = files.map { "\($0.path) (\(ModelSummary.bytes($0.bytes)))" }.joined(separator: ", ")
      lines.append("wrote \(written) for \(target)" + String(format: " in %.2f s", seconds))
    } else {
      lines.append("nothing was written")
    }
    return lines.joined(separator: "\n")
  }

  private func opTable() -> [String] {
    var rows = [["op", "before", "after"]]
    rows += opChanges.map { [$0.op, String($0.before), String($0.after)] }
    rows.append(["nodes", String(input.nodeCount), String(result.nodeCount)])
    rows.append([
      "file size", ModelSummary.bytes(inputBytes), files.isEmpty ? "-" : ModelSummary.bytes(outputBytes),
    ])
    return Self.table(rows, rightAligned: [1, 2])
  }

  private func passTable(verbose: Bool) -> [String] {
    var rows = [["pass", "runs", "changed", "nodes", "time"]]
    if verbose {
      rows[0][1] = "round"
      rows += pipeline.statistics.map { stats in
        [stats.pass, String(stats.iteration), stats.changed ? "yes" : "no",
         "\(stats.nodesBefore) → \(stats.nodesAfter)", String(format: "%.3f s", stats.seconds)]
      }
    } else {
      // One row per pass of the pipeline, its runs over the fixed-point rounds added up.
      var order: [String] = []
      var runs: [String: [PassStatistics]] = [:]
      for stats in pipeline.statistics {
        if runs[stats.pass] == nil { order.append(stats.pass) }
        runs[stats.pass, default: []].append(stats)
      }
      rows += order.map { pass in
        let all = runs[pass] ?? []
        return [
          pass, String(all.count), String(all.filter(\.changed).count),
          Self.signed(all.map { $0.nodesAfter - $0.nodesBefore }.reduce(0, +)),
          String(format: "%.3f s", all.map(\.seconds).reduce(0, +)),
        ]
      }
    }
    var lines = Self.table(rows, rightAligned: [1, 2, 3, 4])
    let rounds = pipeline.iterations == 1 ? "1 round" : "\(pipeline.iterations) rounds"
    lines.append(
      "pipeline \(pipelineName): \(rounds)"
        + (pipeline.converged ? "" : ", stopped before a fixed point (iteration cap, or a failed check)"))
    return lines
  }

  private static func signed(_ delta: Int) -> String { delta > 0 ? "+\(delta)" : String(delta) }

  /// Columns padded to their widest cell; the columns in `rightAligned` right-aligned.
  static func table(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
    let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      row.enumerated().map { column, cell in
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        return rightAligned.contains(column) ? padding + cell : cell + padding
      }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
  }

  // MARK: JSON

  /// The report as the JSON object `kiln convert --json` prints (keys in README.md).
  public func json() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return try encoder.encode(JSONForm(self))
  }

  /// The stable JSON schema of a conversion.
  struct JSONForm: Encodable {
    struct Side: Encodable {
      var file: String
      var bytes: Int64
      var nodes: Int
    }
    struct Output: Encodable {
      var file: String
      var written: Bool
      var bytes: Int64
      var modelBytes: Int64
      var externalDataFile: String?
      var externalBytes: Int64
      var nodes: Int

      func encode(to encoder: Encoder) throws {
        var values = encoder.container(keyedBy: Key.self)
        try values.encode(file, forKey: .file)
        try values.encode(written, forKey: .written)
        try values.encode(bytes, forKey: .bytes)
        try values.encode(modelBytes, forKey: .modelBytes)
        try values.encode(externalDataFile, forKey: .externalDataFile)
        try values.encode(externalBytes, forKey: .externalBytes)
        try values.encode(nodes, forKey: .nodes)
      }

      enum Key: String, CodingKey {
        case file, written, bytes, modelBytes, externalDataFile, externalBytes, nodes
      }
    }
    struct PipelineSummary: Encodable {
      var name: String
      var iterations: Int
      var converged: Bool
    }
    /// The target written to and its files.
    struct Target: Encodable {
      var name: String
      var files: [WrittenFile]
    }
    struct PassRun: Encodable {
      var pass: String
      var iteration: Int
      var changed: Bool
      var seconds: Double
      var nodesBefore: Int
      var nodesAfter: Int
    }

    var input: Side
    var output: Output
    var target: Target
    var ops: [OpChange]
    var pipeline: PipelineSummary
    var passes: [PassRun]
    var notes: [String]
    var fixedDims: [String: Int64]
    var verification: VerificationReport?
    var warnings: [String]
    var checker: [String]
    var seconds: Double

    init(_ report: ConversionReport) {
      input = Side(file: report.input.file, bytes: report.inputBytes, nodes: report.input.nodeCount)
      output = Output(
        file: report.result.file, written: !report.files.isEmpty, bytes: report.outputBytes,
        modelBytes: report.output?.modelBytes ?? 0, externalDataFile: report.output?.externalDataPath,
        externalBytes: report.output?.externalBytes ?? 0, nodes: report.result.nodeCount)
      target = Target(name: report.target, files: report.files)
      ops = report.opChanges
      pipeline = PipelineSummary(
        name: report.pipelineName, iterations: report.pipeline.iterations, converged: report.pipeline.converged)
      passes = report.pipeline.statistics.map {
        PassRun(
          pass: $0.pass, iteration: $0.iteration, changed: $0.changed, seconds: $0.seconds,
          nodesBefore: $0.nodesBefore, nodesAfter: $0.nodesAfter)
      }
      notes = report.pipeline.notes.map(\.description)
      fixedDims = report.fixedSymbols
      verification = report.verification
      warnings = report.warnings
      checker = report.checkerFindings
      seconds = report.seconds
    }

    // Absent values are written as null, so every key is always there.
    func encode(to encoder: Encoder) throws {
      var values = encoder.container(keyedBy: Key.self)
      try values.encode(input, forKey: .input)
      try values.encode(output, forKey: .output)
      try values.encode(target, forKey: .target)
      try values.encode(ops, forKey: .ops)
      try values.encode(pipeline, forKey: .pipeline)
      try values.encode(passes, forKey: .passes)
      try values.encode(notes, forKey: .notes)
      try values.encode(fixedDims, forKey: .fixedDims)
      try values.encode(verification, forKey: .verification)
      try values.encode(warnings, forKey: .warnings)
      try values.encode(checker, forKey: .checker)
      try values.encode(seconds, forKey: .seconds)
    }

    enum Key: String, CodingKey {
      case input, output, target, ops, pipeline, passes, notes, fixedDims, verification, warnings, checker, seconds
    }
  }
}

extension VerificationReport {
  /// The verification part of the summary: the inputs, then one row per output.
  var lines: [String] {
    var lines = [
      "verification: \(passed ? "passed" : "FAILED") (seed \(seed), atol \(absoluteTolerance), rtol \(relativeTolerance))"
    ]
    lines += inputs.map {
      "  input \($0.name): \($0.dataType)[\($0.shape.map(String.init).joined(separator: ","))] from \($0.source)"
    }
    var rows = [["output", "max abs error", "max rel error", "mismatches", ""]]
    rows += outputs.map { output in
      [output.name, Self.number(output.maxAbsoluteError), Self.number(output.maxRelativeError),
       "\(output.mismatches)/\(output.elements)", output.problem ?? (output.passed ? "ok" : "FAILED")]
    }
    lines += ConversionReport.table(rows, rightAligned: [1, 2, 3]).map { "  " + $0 }
    if let firstFailingPass {
      lines.append("  the numbers were first off after pass '\(firstFailingPass)'")
    } else if !eachPass.isEmpty {
      lines.append("  checked after each of \(eachPass.count) pass runs: all within tolerance")
    }
    return lines
  }

  static func number(_ value: Double) -> String {
    value == 0 ? "0" : value.isFinite ? String(format: "%.3g", value) : String(describing: value)
  }
}
