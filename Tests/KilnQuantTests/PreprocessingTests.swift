import Foundation
import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

@testable import KilnQuant

/// A model input of type `text`, e.g. `float32[N,1,16,16]`.
func modelInput(_ name: String, _ text: String) -> ModelInput {
  let type = tensorType(text).tensor!
  return ModelInput(name: name, dataType: type.dataType, shape: type.shape)
}

@Suite struct PreprocessingTests {
  let anyInput = ModelInput(name: "x", dataType: .float, shape: nil)

  @Test func bilinearResizeUsesHalfPixelCenters() throws {
    let image = DecodedImage(width: 2, height: 1, channels: 1, pixels: [0, 100])
    let transform = try ImageTransform(spec: Preprocessing(resize: .exact(ImageSize(width: 4, height: 1)), color: .gray), input: anyInput)
    let tensor = try transform.tensor(for: image, file: "a.png")
    #expect(tensor.shape == [1, 1, 1, 4])
    #expect(tensor.scalars(as: Float.self) == [0, 25, 75, 100])
  }

  @Test func cropsTheCenterThenScalesAndNormalizes() throws {
    let image = try ImageDecoder.decode(path: resourcePath("gray.png"))
    let spec = Preprocessing(centerCrop: ImageSize(width: 2, height: 1), color: .gray, scale: 0.1, mean: [1], std: [2])
    let tensor = try ImageTransform(spec: spec, input: anyInput).tensor(for: image, file: "gray.png")
    // The crop starts at column 1, row 1: samples 50 and 60; (5 - 1) / 2 and (6 - 1) / 2.
    #expect(tensor.scalars(as: Float.self) == [2, 2.5])
  }

  @Test func bgrInNHWCWithPerChannelMean() throws {
    let image = try ImageDecoder.decode(path: resourcePath("rgb.png"))
    let spec = Preprocessing(layout: .nhwc, color: .bgr, mean: [200, 100, 0])
    let tensor = try ImageTransform(spec: spec, input: anyInput).tensor(for: image, file: "rgb.png")
    #expect(tensor.shape == [1, 2, 2, 3])
    // Pixel (x, y) is RGB (k, 100 + k, 200 + k) with k = x + 2y, so BGR minus the mean is (k, k, k).
    #expect(tensor.scalars(as: Float.self) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
  }

  @Test func grayFromRGBUsesLumaWeights() throws {
    let image = DecodedImage(width: 1, height: 1, channels: 3, pixels: [0, 100, 200])
    let tensor = try ImageTransform(spec: Preprocessing(color: .gray), input: anyInput).tensor(for: image, file: "a")
    #expect(abs(tensor.scalars(as: Float.self)[0] - 81.5) < 1e-4)
  }

  @Test func grayImagesAreReplicatedForRGB() throws {
    let image = DecodedImage(width: 1, height: 1, channels: 1, pixels: [7])
    let tensor = try ImageTransform(spec: Preprocessing(color: .rgb), input: anyInput).tensor(for: image, file: "a")
    #expect(tensor.scalars(as: Float.self) == [7, 7, 7])
  }

  @Test func shorterSideKeepsTheAspectRatio() {
    #expect(ImageTransform.size(of: ImageSize(width: 40, height: 30), after: .shorterSide(10)) == ImageSize(width: 13, height: 10))
    #expect(ImageTransform.size(of: ImageSize(width: 30, height: 45), after: .shorterSide(20)) == ImageSize(width: 20, height: 30))
  }

  @Test func infersLayoutColorAndSizeFromTheModelInput() throws {
    let gray = try ImageTransform(spec: Preprocessing(), input: modelInput("image", "float32[N,1,16,16]"))
    #expect(gray.layout == .nchw && gray.color == .gray && gray.resize == .exact(ImageSize(width: 16, height: 16)))
    let color = try ImageTransform(spec: Preprocessing(), input: modelInput("image", "float32[1,24,32,3]"))
    #expect(color.layout == .nhwc && color.color == .rgb && color.resize == .exact(ImageSize(width: 32, height: 24)))
    let image = DecodedImage(width: 4, height: 4, channels: 3, pixels: Array(repeating: 9, count: 48))
    #expect(try color.tensor(for: image, file: "a").shape == [1, 24, 32, 3])
  }

  @Test func mismatchesWithTheModelInputAreErrors() {
    let input = modelInput("image", "float32[N,3,16,16]")
    let channels = #expect(throws: KilnError.self) { try ImageTransform(spec: Preprocessing(color: .gray), input: input) }
    #expect(channels?.exitCode == 2)
    #expect(channels?.message.contains("takes 3 channels") == true)
    let size = #expect(throws: KilnError.self) {
      try ImageTransform(spec: Preprocessing(centerCrop: ImageSize(width: 8, height: 8)), input: input)
    }
    #expect(size?.message.contains("16x16") == true)
    #expect(throws: KilnError.self) { try ImageTransform(spec: Preprocessing(mean: [1, 2]), input: input) }
    #expect(throws: KilnError.self) { try ImageTransform(spec: Preprocessing(), input: modelInput("ids", "int64[1,16]")) }
    #expect(throws: KilnError.self) { try ImageTransform(spec: Preprocessing(), input: modelInput("image", "float32[4,3,16,16]")) }
  }

  @Test func imagesThatEndUpAnotherSizeAreErrorsNamingTheFile() throws {
    let transform = try ImageTransform(spec: Preprocessing(resize: .shorterSide(16)), input: modelInput("image", "float32[1,3,16,16]"))
    let wide = DecodedImage(width: 8, height: 4, channels: 3, pixels: Array(repeating: 0, count: 96))
    let error = #expect(throws: KilnError.self) { try transform.tensor(for: wide, file: "wide.png") }
    #expect(error?.file == "wide.png")
  }

  @Test func parsesFlagValues() throws {
    #expect(try Preprocessing.Resize(text: "256") == .shorterSide(256))
    #expect(try Preprocessing.Resize(text: "320x240") == .exact(ImageSize(width: 320, height: 240)))
    #expect(try Preprocessing.scale(text: "1/255") == Float(1.0 / 255))
    #expect(try Preprocessing.numbers(text: "0.5, 1,2", what: "--mean") == [0.5, 1, 2])
    #expect(try Preprocessing.layout(text: "nhwc") == .nhwc)
    for bad in ["0", "3x", "x4", "-2"] {
      #expect(throws: KilnError.self) { try Preprocessing.Resize(text: bad) }
    }
    #expect(throws: KilnError.self) { try Preprocessing.scale(text: "1/0") }
    #expect(throws: KilnError.self) { try Preprocessing.numbers(text: "1,,2", what: "--std") }
    #expect(throws: KilnError.self) { try Preprocessing.color(text: "cmyk") }
  }

  @Test func parsesTheJSONFile() throws {
    let json = #"""
      {"resize": 256, "centerCrop": "224x200", "layout": "NCHW", "color": "bgr", "scale": "1/255",
       "mean": [0.4, 0.5, 0.6], "std": 0.25, "inputs": {"depth": {"color": "gray", "mean": 0.5}}}
      """#
    let configuration = try PreprocessingConfiguration.parse(Data(json.utf8))
    #expect(configuration.shared == Preprocessing(
      resize: .shorterSide(256), centerCrop: ImageSize(width: 224, height: 200), layout: .nchw, color: .bgr,
      scale: Float(1.0 / 255), mean: [0.4, 0.5, 0.6], std: [0.25]))
    let depth = configuration.spec(for: "depth")
    #expect(depth.color == .gray && depth.mean == [0.5] && depth.resize == .shorterSide(256))
    let flags = configuration.overridden(by: Preprocessing(resize: .shorterSide(128)))
    #expect(flags.spec(for: "depth").resize == .shorterSide(128))
  }

  @Test func refusesUnknownKeysAndBadValues() {
    for json in [#"{"mean_": 1}"#, #"{"inputs": {"a": {"sclae": 2}}}"#, #"{"resize": [1, 2]}"#, "[1]", #"{"mean": ["a"]}"#] {
      #expect(throws: KilnError.self) { try PreprocessingConfiguration.parse(Data(json.utf8)) }
    }
  }

  @Test func picksTheImageInputs() throws {
    let inputs = [modelInput("a", "float32[1,3,8,8]"), modelInput("b", "float32[1,1,8,8]")]
    #expect(throws: KilnError.self) { try PreprocessingConfiguration().imageInputs(of: inputs) }
    let named = PreprocessingConfiguration(byInput: ["a": Preprocessing(), "b": Preprocessing(color: .gray)])
    #expect(try named.imageInputs(of: inputs).map(\.input.name) == ["a", "b"])
    let unknown = PreprocessingConfiguration(byInput: ["c": Preprocessing()])
    #expect(throws: KilnError.self) { try unknown.imageInputs(of: inputs) }
    #expect(try PreprocessingConfiguration().imageInputs(of: [inputs[0]]).count == 1)
  }
}
