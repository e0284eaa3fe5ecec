import DigitsTestSupport
import Foundation
import KilnIR
import KilnONNX
import KilnQuant
import KilnRuntime
import Testing

@Suite struct DigitsFixtureTests {
  @Test func floatModelGetsTheAccuracyTheScriptMeasured() throws {
    let model = try ONNXModelReader.read(path: DigitsFixture.path("model.onnx"))
    #expect(try DigitsFixture.images("test", for: model).count == DigitsFixture.labels().count)
    #expect(abs(try DigitsFixture.accuracy(of: model) - DigitsFixture.expectedAccuracy()) <= 0.5)
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
