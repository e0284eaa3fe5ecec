import Foundation
import KilnIR
import KilnONNX
import KilnQuant
import KilnRuntime
import Testing

/// The digits CNN fixture that fixtures/make_digits.py writes.
enum DigitsFixture {
  static let folder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures/digits").path

  static func path(_ name: String) -> String { folder + "/" + name }

  /// The label of each test image, by file name, from labels.txt.
  static func labels() throws -> [String: Int] {
    let text = try String(contentsOfFile: path("labels.txt"), encoding: .utf8)
    return Dictionary(uniqueKeysWithValues: text.split(separator: "\n").map { line in
      let fields = line.split(separator: "\t")
      return (String(fields[0]), Int(fields[1])!)
    })
  }

  /// The float model's test accuracy in percent that the script measured.
  static func expectedAccuracy() throws -> Double {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("expected.json"))))
    return try #require((object as? [String: Any])?["floatAccuracyPercent"] as? Double)
  }
}

@Suite struct DigitsFixtureTests {
  @Test func floatModelGetsTheAccuracyTheScriptMeasured() throws {
    let model = try ONNXModelReader.read(path: DigitsFixture.path("model.onnx"))
    let inputs = ModelInput.required(by: model)
    let configuration = try PreprocessingConfiguration.load(path: DigitsFixture.path("preprocess.json"))
    let transforms = try configuration.imageInputs(of: inputs).map { try ImageTransform(spec: $0.spec, input: $0.input) }
    let source = try ImageFolderSource(folder: DigitsFixture.path("test"), transforms: transforms)
    let labels = try DigitsFixture.labels()
    #expect(source.count == labels.count)

    let executor = try Executor(model: model)
    var correct = 0
    for index in 0..<source.count {
      let logits = try #require(try executor.run(try source.sample(at: index))["logits"]).scalars(as: Float.self)
      let predicted = logits.indices.max { logits[$0] < logits[$1] }
      if predicted == labels[source.name(at: index)] { correct += 1 }
    }
    let accuracy = 100 * Double(correct) / Double(source.count)
    #expect(abs(accuracy - (try DigitsFixture.expectedAccuracy())) <= 0.5)
  }

  @Test func calibrationImagesFitTheModel() throws {
    let model = try ONNXModelReader.read(path: DigitsFixture.path("model.onnx"))
    let input = try #require(ModelInput.required(by: model).first)
    let spec = try PreprocessingConfiguration.load(path: DigitsFixture.path("preprocess.json")).spec(for: input.name)
    let source = try ImageFolderSource(folder: DigitsFixture.path("calibration"), transforms: [try ImageTransform(spec: spec, input: input)])
    #expect(source.count == 100)
    let tensor = try #require(try source.sample(at: 0)["image"])
    #expect(tensor.shape == [1, 1, 16, 16])
    #expect(tensor.scalars(as: Float.self).allSatisfy { (-1...1).contains($0) })
  }
}
