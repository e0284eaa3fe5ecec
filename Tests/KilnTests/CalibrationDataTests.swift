import Foundation
import Kiln
import KilnIR
import KilnONNX
import KilnQuant
import Testing

@testable import kiln

/// The digits fixture's files.
private func digits(_ name: String) -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures/digits/\(name)").path
}

@Suite struct CalibrationDataTests {
  let model = try! ONNXModelReader.read(path: digits("model.onnx"))

  @Test func optionsBuildALimitedShardOfPreprocessedImages() throws {
    let options = try CalibrationDataOptions.parse([
      "--images", digits("calibration"), "--preprocess", digits("preprocess.json"), "--resize", "16",
      "--limit", "10", "--shard", "1/3",
    ])
    let data = try options.calibrationData(for: model)
    #expect(data.source.count == 3)
    #expect((0..<3).map(data.source.name) == ["001.png", "004.png", "007.png"])
    #expect(try data.source.sample(at: 0)["image"]?.shape == [1, 1, 16, 16])
    #expect(data.skippedImages.isEmpty)
  }

  @Test func badCombinationsAreUsageErrors() throws {
    let cases: [[String]] = [
      [],
      ["--images", digits("calibration"), "--inputs", digits("calibration")],
      ["--inputs", digits("calibration"), "--scale", "1/255"],
      ["--images", digits("calibration"), "--shard", "2/2"],
      ["--images", digits("calibration"), "--color", "rgb"],
      ["--images", digits("calibration"), "--mean", "a"],
    ]
    for arguments in cases {
      let options = try CalibrationDataOptions.parse(arguments)
      let error = #expect(throws: KilnError.self) { try options.calibrationData(for: model) }
      #expect(error?.exitCode == 2)
    }
  }
}
