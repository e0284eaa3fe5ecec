// Sensitivity analysis: the sensitive layer ranks first, keep-K and max-error selections, the
// JSON report, and the digits fixture with min-max ranges measured here.

import DigitsTestSupport
import Foundation
import KilnIR
import KilnONNX
import KilnQuant
import KilnRuntime
import KilnTestSupport
import Testing

@Suite("sensitivity analysis")
struct SensitivityAnalysisTests {
  /// The analysis of `SensitiveModel` on 8 seeded random samples.
  func sensitiveAnalysis() throws -> SensitivityAnalysis {
    let subject = try model(SensitiveModel.text)
    let samples = try (1...8).map { try randomFeeds(subject, seed: UInt64($0)) }
    let ranges = try JSONDecoder().decode([String: TensorRange].self, from: Data(SensitiveModel.rangesJSON.utf8))
    return try SensitivityAnalysis(model: subject, options: .init(), ranges: ranges, samples: FeedSource(samples: samples))
  }

  @Test("the Conv whose input range is far too wide ranks first, far above the others")
  func sensitiveLayerRanksFirst() throws {
    let analysis = try sensitiveAnalysis()
    #expect(analysis.layers.map(\.name) == SensitiveModel.layers)
    let report = try analysis.report(selecting: .none)
    #expect(report.layers.map(\.rank) == [1, 2, 3])
    #expect(report.layers.first?.name == SensitiveModel.sensitiveLayer)
    let errors = report.layers.map(\.error)
    #expect(errors[0] > 0.3 && errors[1] < errors[0] / 10, "\(errors)")
    #expect(report.layers[0].cosine < report.layers[1].cosine)
    #expect(report.errorAllQuantized.relativeL2 >= errors[1])
    #expect(report.keptFloat.isEmpty && report.errorWithKeptLayers == report.errorAllQuantized)
  }

  @Test("keeping the worst layer float32 keeps the sensitive Conv and the error drops")
  func keepWorst() throws {
    let report = try sensitiveAnalysis().report(selecting: .worst(1))
    #expect(report.keptFloat == [SensitiveModel.sensitiveLayer])
    #expect(report.selection.keepWorst == 1)
    #expect(report.errorWithKeptLayers.relativeL2 < report.errorAllQuantized.relativeL2 / 10, "\(report)")
  }

  @Test("max-error keeps layers until the bound is met; a bound of 0 cannot be met")
  func maxError() throws {
    let analysis = try sensitiveAnalysis()
    let oneKept = try analysis.error(keepingFloat: [SensitiveModel.sensitiveLayer]).relativeL2
    let met = try analysis.report(selecting: .maxError(oneKept * 1.01))
    #expect(met.keptFloat == [SensitiveModel.sensitiveLayer])
    #expect(met.selection.boundMet == true && met.errorWithKeptLayers.relativeL2 <= oneKept * 1.01)
    let loose = try analysis.report(selecting: .maxError(met.errorAllQuantized.relativeL2))
    #expect(loose.keptFloat.isEmpty && loose.selection.boundMet == true)
    let impossible = try analysis.report(selecting: .maxError(0))
    #expect(impossible.selection.boundMet == false)
    #expect(impossible.keptFloat.count == analysis.layers.count - 1)
  }

  @Test("keeping every layer float32 leaves the float outputs; the analysed model stays float")
  func keepingEverythingIsExact() throws {
    let analysis = try sensitiveAnalysis()
    #expect(try analysis.error(keepingFloat: Set(SensitiveModel.layers)) == .none)
    #expect(!analysis.model.graph.nodes.contains { $0.opType == "QuantizeLinear" })
    #expect(throws: KilnError.self) { try analysis.report(selecting: .worst(4)) }
  }

  @Test("the JSON report has the schema: version, metric, ranked layers, errors, kept layers")
  func reportJSON() throws {
    let report = try sensitiveAnalysis().report(selecting: .worst(1))
    let object = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
    #expect(object["schemaVersion"] as? Int == 1)
    #expect(object["metric"] as? String == "relative-l2")
    #expect(object["samples"] as? Int == 8)
    let layers = try #require(object["layers"] as? [[String: Any]])
    #expect(Set(layers[0].keys) == ["rank", "name", "opType", "error", "cosine"])
    #expect(layers[0]["name"] as? String == SensitiveModel.sensitiveLayer)
    #expect(object["keptFloat"] as? [String] == [SensitiveModel.sensitiveLayer])
    let before = try #require(object["errorAllQuantized"] as? [String: Double])
    #expect(Set(before.keys) == ["relativeL2", "cosine"])
    #expect(object["errorWithKeptLayers"] is [String: Double])
    #expect((object["selection"] as? [String: Int])?["keepWorst"] == 1)
    #expect(try JSONDecoder().decode(SensitivityReport.self, from: report.json()) == report)
  }

  @Test("digits fixture with min-max ranges: small error when all quantized, and keeping the worst layer lowers it")
  func digits() throws {
    let subject = try ONNXModelReader.read(path: DigitsFixture.path("model.onnx"))
    let images = try ShardedSource(base: DigitsFixture.images("calibration", for: subject), limit: 32)
    let ranges = try tensorRanges(subject, samples: images)
    let analysis = try SensitivityAnalysis(model: subject, options: .init(), ranges: ranges, samples: images)
    #expect(analysis.layers.map(\.name) == ["conv1", "conv2", "fc1", "fc2"])
    let report = try analysis.report(selecting: .worst(1))
    #expect(report.errorAllQuantized.relativeL2 < 0.05 && report.errorAllQuantized.cosine > 0.99)
    #expect(report.layers.allSatisfy { $0.error <= report.errorAllQuantized.relativeL2 * 1.5 })
    #expect(report.keptFloat == [report.layers[0].name])
    #expect(report.errorWithKeptLayers.relativeL2 < report.errorAllQuantized.relativeL2)
  }
}
