// Scoring the runtime against the ONNX conformance test data (Debian's libonnx-testdata).

import Foundation
import KilnIR
import KilnONNX
import KilnRuntime
import Testing

/// Runs every case of the node, pytorch-converted and pytorch-operator suites and compares the
/// outputs the way numpy's assert_allclose does. Each case either passes, fails (wrong numbers,
/// wrong shape or type, or an error) or is unsupported (an op without a kernel, or a type the
/// runtime lacks). `expected-failures.txt` beside this file lists every case expected not to
/// pass; the test fails when a case not listed does not pass (a regression) and when a listed
/// case passes (the list is stale; the lines to delete are printed).
///
/// To regenerate the list after adding kernels, run
/// `KILN_UPDATE_EXPECTED_FAILURES=1 swift test --filter KilnRuntimeConformanceTests`:
/// the test then rewrites the file instead of failing.
@Suite struct ConformanceTests {
  static let root = "/usr/share/libonnx-testdata/data"
  static let suites = ["node", "pytorch-converted", "pytorch-operator"]
  static let listPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("expected-failures.txt").path

  @Test(.enabled(
    if: FileManager.default.fileExists(atPath: "/usr/share/libonnx-testdata/data"),
    "libonnx-testdata is not installed"))
  func conformance() throws {
    let cases = Self.suites.flatMap { suite in
      ((try? FileManager.default.contentsOfDirectory(atPath: "\(Self.root)/\(suite)")) ?? []).sorted()
        .map { ConformanceCase(suite: suite, name: $0, folder: "\(Self.root)/\(suite)/\($0)") }
        .filter { FileManager.default.fileExists(atPath: $0.folder + "/model.onnx") }
    }
    let started = ContinuousClock.now
    let (outcomes, times) = runAll(cases)
    print(Self.summary(cases, outcomes))
    let slowest = zip(cases, times).sorted { $0.1 > $1.1 }.prefix(5).map { "\($0.0.key) \($0.1)" }
    print("conformance: \(cases.count) cases in \(ContinuousClock.now - started); slowest: \(slowest.joined(separator: ", "))")
    try check(cases, outcomes)
  }

  /// Runs the cases on all cores (each case is independent), timing each.
  private func runAll(_ cases: [ConformanceCase]) -> ([Outcome], [Duration]) {
    let results = OutcomeStore(count: cases.count)
    DispatchQueue.concurrentPerform(iterations: cases.count) { index in
      let start = ContinuousClock.now
      let outcome = cases[index].run()
      results.set(index, outcome, ContinuousClock.now - start)
    }
    return results.results
  }

  /// Compares the outcomes with the list of expected failures, or rewrites the list.
  private func check(_ cases: [ConformanceCase], _ outcomes: [Outcome]) throws {
    let notPassing = zip(cases, outcomes).filter { !$0.1.passed }.map { "\($0.0.key)  \($0.1.reason)" }
    if ProcessInfo.processInfo.environment["KILN_UPDATE_EXPECTED_FAILURES"] == "1" {
      let header = """
        # Conformance cases expected not to pass: suite/case  reason. Regenerate with
        # KILN_UPDATE_EXPECTED_FAILURES=1 swift test --filter KilnRuntimeConformanceTests

        """
      try (header + notPassing.joined(separator: "\n") + "\n").write(
        toFile: Self.listPath, atomically: true, encoding: .utf8)
      print("conformance: wrote \(notPassing.count) expected failures to \(Self.listPath)")
      return
    }
    let listed = try Self.expectedFailures()
    let regressions = notPassing.filter { listed[String($0.prefix { !$0.isWhitespace })] == nil }
    let failingKeys = Set(notPassing.map { String($0.prefix { !$0.isWhitespace }) })
    let stale = listed.filter { !failingKeys.contains($0.key) }.map(\.value).sorted()
    #expect(
      regressions.isEmpty,
      "\(regressions.count) cases do not pass and are not in expected-failures.txt:\n\(regressions.joined(separator: "\n"))")
    #expect(
      stale.isEmpty,
      "\(stale.count) cases in expected-failures.txt now pass (or are gone); delete these lines:\n\(stale.joined(separator: "\n"))")
  }

  /// The listed cases: key (suite/case) to the whole line.
  private static func expectedFailures() throws -> [String: String] {
    let text = try String(contentsOfFile: listPath, encoding: .utf8)
    var listed: [String: String] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      let key = String(line.prefix { !$0.isWhitespace })
      if !key.isEmpty { listed[key] = String(line) }
    }
    return listed
  }

  /// The pass counts per suite, and the unsupported ops by how many cases need them.
  static func summary(_ cases: [ConformanceCase], _ outcomes: [Outcome]) -> String {
    let parts = suites.map { suite -> String in
      let inSuite = zip(cases, outcomes).filter { $0.0.suite == suite }
      let passed = inSuite.filter { $0.1.passed }.count
      let percent = inSuite.isEmpty ? 0 : 100 * Double(passed) / Double(inSuite.count)
      return "\(suite) \(passed)/\(inSuite.count) passed (\(String(format: "%.1f", percent))%)"
    }
    var counts: [String: Int] = [:]
    for outcome in outcomes {
      if case .unsupported(let ops, _) = outcome { for op in ops { counts[op, default: 0] += 1 } }
    }
    let failed = outcomes.filter { if case .failed = $0 { true } else { false } }.count
    let unsupported = outcomes.filter { if case .unsupported = $0 { true } else { false } }.count
    let ops = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "  \($0.key) \($0.value)" }
    return "conformance: " + parts.joined(separator: ", ")
      + "\nconformance: \(failed) failed, \(unsupported) unsupported"
      + "\nconformance: unsupported ops (cases needing each):\n" + ops.joined(separator: "\n")
  }
}

/// How one case went.
enum Outcome: Sendable {
  case passed
  case failed(String)
  /// The ops without a kernel (possibly none), and why.
  case unsupported([String], String)

  var passed: Bool { if case .passed = self { true } else { false } }

  /// The reason written to the expected-failures list: one line.
  var reason: String {
    let text: String
    switch self {
    case .passed: text = "passed"
    case .failed(let why): text = "failed: " + why
    case .unsupported(_, let why): text = "unsupported: " + why
    }
    let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return line.count > 160 ? String(line.prefix(157)) + "..." : line
  }
}

/// The outcomes and times of a concurrent run, by case index.
private final class OutcomeStore: @unchecked Sendable {
  private let lock = NSLock()
  private var outcomes: [Outcome]
  private var times: [Duration]

  init(count: Int) {
    outcomes = Array(repeating: .failed("not run"), count: count)
    times = Array(repeating: .zero, count: count)
  }

  func set(_ index: Int, _ outcome: Outcome, _ time: Duration) {
    lock.lock()
    outcomes[index] = outcome
    times[index] = time
    lock.unlock()
  }

  var results: ([Outcome], [Duration]) {
    lock.lock()
    defer { lock.unlock() }
    return (outcomes, times)
  }
}
