// The preprocessing of every image input of a model, as flags and a small JSON file give it.

import Foundation
import KilnIR

/// The preprocessing of a model's image inputs: one spec that applies to every input, and
/// per-input specs that override its fields.
///
/// The JSON file (`--preprocess FILE.json`) is an object with these keys, all optional:
/// - `resize`: a number (the shorter side becomes that size, aspect kept) or `"WxH"` (exact);
/// - `centerCrop`: a number (square) or `"WxH"`;
/// - `layout`: `"NCHW"` or `"NHWC"`;
/// - `color`: `"rgb"`, `"bgr"` or `"gray"`;
/// - `scale`: a number or a fraction as a string, e.g. `"1/255"`;
/// - `mean`, `std`: a number or an array of numbers, one per channel;
/// - `inputs`: an object from model input name to an object with the keys above, for models
///   with several image inputs (each key there overrides the top-level one).
/// Unknown keys are errors, so that a misspelt key is not silently ignored.
public struct PreprocessingConfiguration: Equatable, Sendable {
  /// Applies to every image input.
  public var shared: Preprocessing
  /// Overrides for inputs by name.
  public var byInput: [String: Preprocessing]

  public init(shared: Preprocessing = Preprocessing(), byInput: [String: Preprocessing] = [:]) {
    self.shared = shared
    self.byInput = byInput
  }

  /// Reads the JSON file at `path`.
  public static func load(path: String) throws -> PreprocessingConfiguration {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KilnError.badInput("cannot read the preprocessing file", file: path, hint: "check the path")
    }
    do {
      return try parse(data)
    } catch var error as KilnError {
      error.kind = .badInput
      throw error.inFile(path)
    }
  }

  /// Parses the JSON text of a preprocessing file.
  public static func parse(_ data: Data) throws -> PreprocessingConfiguration {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw KilnError.badInput("the preprocessing file is not a JSON object")
    }
    var configuration = PreprocessingConfiguration(shared: try spec(object.filter { $0.key != "inputs" }, at: ""))
    if let inputs = object["inputs"] {
      guard let inputs = inputs as? [String: Any] else { throw KilnError.badInput("'inputs' must map input names to objects") }
      for (name, value) in inputs {
        guard let fields = value as? [String: Any] else { throw KilnError.badInput("inputs.\(name) must be an object") }
        configuration.byInput[name] = try spec(fields, at: "inputs.\(name).")
      }
    }
    return configuration
  }

  /// The spec for input `name`.
  public func spec(for name: String) -> Preprocessing {
    byInput[name].map(shared.overridden) ?? shared
  }

  /// This configuration with the fields `flags` gives replacing those of every spec.
  public func overridden(by flags: Preprocessing) -> PreprocessingConfiguration {
    PreprocessingConfiguration(shared: shared.overridden(by: flags), byInput: byInput.mapValues { $0.overridden(by: flags) })
  }

  /// The model inputs that images feed, each with its spec: the only input of a one-input model,
  /// else exactly the inputs named under `inputs`.
  public func imageInputs(of inputs: [ModelInput]) throws -> [(input: ModelInput, spec: Preprocessing)] {
    if byInput.isEmpty {
      guard inputs.count == 1 else {
        throw KilnError.badInput(
          "the model has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))), so images need to know which they feed",
          hint: "name the inputs under \"inputs\" in the --preprocess file, or give tensors with --inputs")
      }
      return [(inputs[0], shared)]
    }
    if let unknown = byInput.keys.sorted().first(where: { name in !inputs.contains { $0.name == name } }) {
      throw KilnError.badInput("the preprocessing names '\(unknown)', which is not a model input", hint: "inputs: \(inputs.map(\.name).joined(separator: ", "))")
    }
    if let missing = inputs.first(where: { byInput[$0.name] == nil }) {
      throw KilnError.badInput("model input '\(missing.name)' has no preprocessing", hint: "every input needs an entry under \"inputs\" when images feed the model")
    }
    return inputs.map { ($0, spec(for: $0.name)) }
  }

  // MARK: Parsing

  private static let keys: Set<String> = ["resize", "centerCrop", "layout", "color", "scale", "mean", "std"]

  private static func spec(_ fields: [String: Any], at path: String) throws -> Preprocessing {
    if let unknown = fields.keys.sorted().first(where: { !keys.contains($0) }) {
      throw KilnError.badInput("unknown key '\(path)\(unknown)' in the preprocessing file", hint: "keys: \(keys.sorted().joined(separator: ", ")), inputs")
    }
    var spec = Preprocessing()
    spec.resize = try fields["resize"].map { try Preprocessing.Resize(text: try text($0, key: path + "resize")) }
    spec.centerCrop = try fields["centerCrop"].map { try ImageSize(text: try text($0, key: path + "centerCrop"), what: "centerCrop") }
    spec.layout = try fields["layout"].map { try Preprocessing.layout(text: try text($0, key: path + "layout")) }
    spec.color = try fields["color"].map { try Preprocessing.color(text: try text($0, key: path + "color")) }
    spec.scale = try fields["scale"].map { try Preprocessing.scale(text: try text($0, key: path + "scale")) }
    spec.mean = try fields["mean"].map { try numbers($0, key: path + "mean") }
    spec.std = try fields["std"].map { try numbers($0, key: path + "std") }
    return spec
  }

  /// A string, or a number written as text (so that `256` and `"256"` read alike).
  private static func text(_ value: Any, key: String) throws -> String {
    if let string = value as? String { return string }
    if let number = value as? NSNumber { return number.stringValue }
    throw KilnError.badInput("'\(key)' must be a string or a number")
  }

  private static func numbers(_ value: Any, key: String) throws -> [Float] {
    let items = (value as? [Any]) ?? [value]
    return try items.map { item in
      guard let number = item as? NSNumber, number.doubleValue.isFinite else {
        throw KilnError.badInput("'\(key)' must be a number or an array of numbers")
      }
      return number.floatValue
    }
  }
}
