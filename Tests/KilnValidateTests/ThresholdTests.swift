// Thresholds checked on every output they apply to; config files; labels files; the reports.

import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import KilnIR
import Testing

@testable import KilnValidate

@Suite("validation thresholds and reports")
struct ThresholdTests {
  private let classifier = OutputMetrics(
    name: "logits", elements: 20, cosine: 0.995, maxAbsError: 0.5, meanAbsError: 0.1, snrDB: 30,
    classifier: ClassifierMetrics(samples: 2, top1Agreement: 90, top5Agreement: 100, referenceAccuracy: 95, candidateAccuracy: 93, top1Drop: 2))
  private let feature = OutputMetrics(name: "features", elements: 8, cosine: 0.9, maxAbsError: 0.01, meanAbsError: 0.001, snrDB: 10)

  @Test("each threshold on each output it applies to, pass and fail")
  func checks() throws {
    let thresholds = ValidationThresholds(maxTop1Drop: 1, minTop1Agreement: 90, minCosine: 0.99, maxAbsError: 0.1, minSnrDb: 20)
    let checks = try thresholds.checks(of: [classifier, feature])
    let verdicts = checks.map { "\($0.metric) \($0.output) \($0.passed)" }
    #expect(
      verdicts == [
        "cosine logits true", "maxAbsError logits false", "snrDB logits true", "top1Agreement logits true",
        "top1Drop logits false", "cosine features false", "maxAbsError features true", "snrDB features false",
      ])
    #expect(checks[4].message == "top1Drop of 'logits' is 2, above the maximum 1")
    #expect(checks[5].message == "cosine of 'features' is 0.9, below the minimum 0.99")
  }

  @Test("top-1 thresholds without a classifier output, or the drop without labels, are refused")
  func inapplicable() {
    #expect(throws: KilnError.self) { try ValidationThresholds(minTop1Agreement: 90).checks(of: [feature]) }
    var unlabeled = classifier
    unlabeled.classifier?.top1Drop = nil
    #expect(throws: KilnError.self) { try ValidationThresholds(maxTop1Drop: 1).checks(of: [unlabeled]) }
  }

  @Test("config file: known keys, flags override, unknown keys refused")
  func config() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-thresholds-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let good = folder.appendingPathComponent("good.json")
    try Data(#"{"minCosine": 0.99, "maxTop1Drop": 1}"#.utf8).write(to: good)
    let loaded = try ValidationThresholds.load(path: good.path)
    #expect(loaded == ValidationThresholds(maxTop1Drop: 1, minCosine: 0.99))
    #expect(loaded.overridden(by: ValidationThresholds(minCosine: 0.9, minSnrDb: 3)) == ValidationThresholds(maxTop1Drop: 1, minCosine: 0.9, minSnrDb: 3))
    let typo = folder.appendingPathComponent("typo.json")
    try Data(#"{"minCosin": 0.99}"#.utf8).write(to: typo)
    #expect(throws: KilnError.badInput("unknown threshold 'minCosin'", file: typo.path, hint: "known: \(ValidationThresholds.keys.joined(separator: ", "))")) {
      try ValidationThresholds.load(path: typo.path)
    }
  }

  @Test("labels: tab or space, every sample labeled, every label a sample")
  func labels() throws {
    let labels = try ClassLabels.parse("a.png\t3\nmy image.png 7\n\n# comment\n")
    #expect(try labels.labels(of: ["my image.png", "a.png"]) == [7, 3])
    #expect(throws: KilnError.self) { try labels.labels(of: ["a.png"]) }
    #expect(throws: KilnError.self) { try labels.labels(of: ["a.png", "my image.png", "b.png"]) }
    #expect(throws: KilnError.self) { try ClassLabels.parse("a.png cat\n") }
  }

  @Test("JSON report: schema, version, sorted keys, infinite SNR as a string; JUnit XML escapes and parses")
  func reports() throws {
    var identical = feature
    identical.name = "a<&\"b'>"
    identical.snrDB = .infinity
    let checks = try ValidationThresholds(minCosine: 0.99).checks(of: [identical])
    let report = ValidationReport(reference: "r.onnx", candidate: "c.onnx", samples: 2, outputs: [identical], checks: checks)
    let json = try #require(JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
    #expect(json["schema"] as? String == "kiln-validation-report")
    #expect(json["version"] as? Int == 1)
    #expect(json["passed"] as? Bool == false)
    #expect(((json["outputs"] as? [[String: Any]])?.first?["snrDB"] as? String) == "Infinity")
    #expect(try String(decoding: report.json(), as: UTF8.self).contains("\"candidate\" : \"c.onnx\",\n  \"checks\""))
    let xml = report.junitXML()
    let parser = XMLParser(data: Data(xml.utf8))
    #expect(parser.parse(), "\(xml)")
    #expect(xml.contains(#"name="cosine of a&lt;&amp;&quot;b&#39;&gt;""#))
    #expect(xml.contains(#"failures="1""#))
  }
}
