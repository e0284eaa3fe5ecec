// Writing the IR as an ONNX file: streamed, atomic, with external data when needed.

import Foundation
import KilnIR
import ONNXProto
import SwiftProtobuf

/// How `ONNXModelWriter` places tensor data.
public struct ONNXWriteOptions: Sendable {
  /// When weights go to an external-data file.
  public enum ExternalDataMode: Sendable {
    /// Inline, unless the model would pass protobuf's 2 GB limit.
    case automatic
    /// Every tensor of at least `sizeThreshold` bytes goes to the external file.
    case always
    /// Always inline; a model over 2 GB is an error.
    case never
  }

  public var externalData: ExternalDataMode
  /// The external file's name, relative to the model's folder; default `<model file>.data`.
  public var externalDataLocation: String?
  /// Tensors smaller than this stay inline even when writing external data.
  public var sizeThreshold: Int64

  public init(
    externalData: ExternalDataMode = .automatic, externalDataLocation: String? = nil,
    sizeThreshold: Int64 = 1024
  ) {
    self.externalData = externalData
    self.externalDataLocation = externalDataLocation
    self.sizeThreshold = sizeThreshold
  }
}

/// What `ONNXModelWriter.write` produced.
public struct ONNXWriteSummary: Sendable {
  /// Size of the model file.
  public var modelBytes: Int64
  /// The external-data file written, if any.
  public var externalDataPath: String?
  /// Bytes written to the external-data file.
  public var externalBytes: Int64
  /// How many tensors went to the external-data file.
  public var externalTensorCount: Int
}

/// Writes IR models as ONNX protobuf files.
///
/// Small messages are encoded by swift-protobuf; weights are streamed from wherever they are
/// (a mapped input file, external data, memory) straight into the output, never gathered in
/// one buffer. Files are written under a temporary name and renamed into place.
public enum ONNXModelWriter {
  /// The largest message protobuf can parse (2 GiB − 1).
  public static let protobufLimit: Int64 = 2_147_483_647

  /// Writes `model` to `path`.
  @discardableResult
  public static func write(_ model: Model, to path: String, options: ONNXWriteOptions = .init())
    throws -> ONNXWriteSummary
  {
    do {
      var layout = try ModelLayout(model: model)
      let external = try layout.placeExternalData(options: options, modelPath: path)
      var summary = ONNXWriteSummary(
        modelBytes: 0, externalDataPath: nil, externalBytes: 0, externalTensorCount: 0)
      var dataFile: AtomicOutputFile?
      if let external {
        let file = try AtomicOutputFile(destination: external.path)
        try layout.writeExternalData(to: file)
        dataFile = file
        summary.externalDataPath = external.path
        summary.externalBytes = file.bytesWritten
        summary.externalTensorCount = external.count
      }
      let modelFile = try AtomicOutputFile(destination: path)
      try layout.writeModel(to: modelFile)
      summary.modelBytes = modelFile.bytesWritten
      try dataFile?.commit()
      try modelFile.commit()
      return summary
    } catch let error as KilnError {
      throw error.inFile(path)
    }
  }

  /// The model serialized in memory with every tensor inline (small models, tests, libonnx).
  public static func serialize(_ model: Model) throws -> Data {
    let layout = try ModelLayout(model: model)
    guard layout.totalSize <= protobufLimit else {
      throw KilnError.badInput("the model is over 2 GB and cannot be serialized in one message")
    }
    let sink = DataSink()
    try layout.writeModel(to: sink)
    return sink.data
  }
}

/// Something bytes can be appended to.
protocol ByteSink: AnyObject {
  func write(_ bytes: UnsafeRawBufferPointer) throws
  func write(_ data: Data) throws
}

extension AtomicOutputFile: ByteSink {}

/// A sink that collects bytes in memory.
final class DataSink: ByteSink {
  var data = Data()
  func write(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
  func write(_ data: Data) throws { self.data.append(data) }
}
