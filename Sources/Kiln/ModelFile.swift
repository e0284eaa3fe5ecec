// Which frontend reads a model file: recognized by content, not by extension.

import Foundation
import KilnCaffe
import KilnDarknet
import KilnIR
import KilnONNX
import KilnTFLite

/// The file formats Kiln reads models from.
public enum ModelFormat: String, CaseIterable, Sendable, Codable {
  /// ONNX protobuf (binary). The fallback for anything not recognized as another format.
  case onnx
  /// TensorFlow Lite flatbuffer (file identifier `TFL3`).
  case tflite
  /// Caffe: a network description in protobuf text format, weights in a `.caffemodel`.
  case caffe
  /// Darknet: an INI-like `.cfg` starting with `[net]`, weights in a `.weights` file.
  case darknet

  /// Whether models of this format keep their weights in a second file (`--weights`).
  public var hasWeightsFile: Bool { self == .caffe || self == .darknet }
}

/// A model on disk: the model file, and for Caffe and Darknet the file holding its weights.
public struct ModelFile: Sendable, Equatable {
  /// The model file (`.onnx`, `.tflite`, `.prototxt`, `.cfg`).
  public var path: String
  /// The weights file (`.caffemodel`, `.weights`); nil for formats that keep weights inside.
  public var weights: String?

  public init(path: String, weights: String? = nil) {
    self.path = path
    self.weights = weights
  }

  /// The file's format, recognized from its first bytes.
  public func format() throws -> ModelFormat {
    let prefix = try Self.prefix(of: path)
    return ModelFormatSniffer.format(of: prefix)
  }

  /// Reads the model into the IR through the frontend of its format.
  public func read() throws -> Model {
    let format = try format()
    try checkWeights(for: format)
    switch format {
    case .onnx: return try ONNXModelReader.read(path: path)
    case .tflite: return try TFLiteModelReader.read(path: path)
    case .darknet:
      guard let weights else { throw KilnError.internalError("the weights check let a Darknet model through without weights") }
      return try DarknetModelReader.read(path: path, weights: weights)
    case .caffe: return try CaffeModelReader.read(path: path, weights: weights)
    }
  }

  private func checkWeights(for format: ModelFormat) throws {
    if format.hasWeightsFile, weights == nil {
      throw KilnError(
        .usage, "a \(format.rawValue) model needs its weights file", file: path,
        hint: "give the \(format == .caffe ? ".caffemodel" : ".weights") file with --weights (kiln convert, inspect, run), or convert the model to ONNX first")
    }
    if !format.hasWeightsFile, weights != nil {
      throw KilnError(
        .usage, "--weights is for Caffe and Darknet models; this file is \(format.rawValue) and holds its own weights",
        file: path, hint: "drop --weights")
    }
  }

  /// The first bytes of the file, enough to recognize every format; a missing file or a folder
  /// is bad input.
  private static func prefix(of path: String) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw KilnError.badInput("no such file", file: path, hint: "check the path")
    }
    guard !isDirectory.boolValue else { throw KilnError.badInput("is a folder, not a model file", file: path) }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw KilnError.badInput("cannot open the file", file: path, hint: "check its permissions")
    }
    defer { try? handle.close() }
    return (try? handle.read(upToCount: ModelFormatSniffer.prefixLength)) ?? Data()
  }
}

/// Recognizes a model format from a file's first bytes.
enum ModelFormatSniffer {
  /// How many bytes `format(of:)` looks at.
  static let prefixLength = 4096

  static func format(of prefix: Data) -> ModelFormat {
    if prefix.count >= 8, prefix[prefix.startIndex + 4..<prefix.startIndex + 8].elementsEqual("TFL3".utf8) {
      return .tflite
    }
    guard let text = String(data: prefix, encoding: .utf8) ?? String(data: prefix.dropLast(3), encoding: .utf8)
    else { return .onnx }
    let lines = meaningfulLines(of: text)
    if let first = lines.first, first.hasPrefix("[net]") || first.hasPrefix("[network]") { return .darknet }
    if lines.contains(where: isCaffeLine) { return .caffe }
    return .onnx
  }

  /// Lines with content, comments (`#`, `;`) and blanks removed, leading space trimmed.
  private static func meaningfulLines(of text: String) -> [Substring] {
    text.split(whereSeparator: \.isNewline).compactMap { line in
      let trimmed = line.drop(while: \.isWhitespace)
      return trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") ? nil : trimmed
    }
  }

  /// A top-level field that only a Caffe NetParameter in text format starts a line with.
  private static func isCaffeLine(_ line: Substring) -> Bool {
    let fields = ["layer {", "layer{", "layers {", "layers{", "input:", "input_shape {", "input_dim:"]
    return fields.contains { line.hasPrefix($0) }
  }
}
