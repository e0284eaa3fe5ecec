// The digits CNN fixture that fixtures/make_digits.py writes, and top-1 accuracy on it.

import Foundation
import KilnIR
import KilnQuant
import KilnRuntime

/// The digits CNN fixture (fixtures/digits): model, test and calibration images, labels.
public enum DigitsFixture {
  public static let folder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures/digits").path

  public static func path(_ name: String) -> String { folder + "/" + name }

  /// The label of each test image, by file name, from labels.txt.
  public static func labels() throws -> [String: Int] {
    let text = try String(contentsOfFile: path("labels.txt"), encoding: .utf8)
    return Dictionary(uniqueKeysWithValues: text.split(separator: "\n").map { line in
      let fields = line.split(separator: "\t")
      return (String(fields[0]), Int(fields[1])!)
    })
  }

  /// The float model's test accuracy in percent that the script measured.
  public static func expectedAccuracy() throws -> Double {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("expected.json"))))
    guard let accuracy = (object as? [String: Any])?["floatAccuracyPercent"] as? Double else {
      throw KilnError.badInput("expected.json has no floatAccuracyPercent")
    }
    return accuracy
  }

  /// The images of `subfolder` ("test" or "calibration"), preprocessed for `model` as
  /// preprocess.json says.
  public static func images(_ subfolder: String, for model: Model) throws -> ImageFolderSource {
    let inputs = ModelInput.required(by: model)
    let configuration = try PreprocessingConfiguration.load(path: path("preprocess.json"))
    let transforms = try configuration.imageInputs(of: inputs).map { try ImageTransform(spec: $0.spec, input: $0.input) }
    return try ImageFolderSource(folder: path(subfolder), transforms: transforms)
  }

  /// Each test image's predicted class (the arg max of "logits") by `model` in KilnRuntime,
  /// by file name.
  public static func predictions(of model: Model) throws -> [String: Int] {
    let source = try images("test", for: model)
    let executor = try Executor(model: model)
    var predicted: [String: Int] = [:]
    for index in 0..<source.count {
      guard let scores = try executor.run(try source.sample(at: index))["logits"]?.doubleValues() else {
        throw KilnError.badInput("the model has no numeric output 'logits'")
      }
      predicted[source.name(at: index)] = scores.indices.max { scores[$0] < scores[$1] }
    }
    return predicted
  }

  /// `model`'s top-1 accuracy in percent on the test images.
  public static func accuracy(of model: Model) throws -> Double {
    let labels = try labels()
    let predicted = try predictions(of: model)
    let correct = predicted.filter { labels[$0.key] == $0.value }.count
    return 100 * Double(correct) / Double(labels.count)
  }
}
