// Calibration samples from a folder of .npy or .npz tensor files.

import Foundation
import KilnIR
import KilnRuntime

/// The `.npy` and `.npz` files in a folder and its subfolders, sorted by relative path, one
/// sample each: a `.npy` file feeds the only input of a one-input model, a `.npz` file holds
/// one array per model input, keyed by input name. Each tensor must have the input's element
/// type and fixed dims; a file that does not fit is a `KilnError` naming it.
public struct TensorFileSource: CalibrationSource {
  public let folder: String
  public let inputs: [ModelInput]
  /// The files, relative to `folder`.
  public let files: [String]

  public init(folder: String, inputs: [ModelInput]) throws {
    self.folder = folder
    self.inputs = inputs
    files = try FolderListing.files(in: folder, extensions: ["npy", "npz"], what: ".npy or .npz files")
  }

  public var count: Int { files.count }

  public func name(at index: Int) -> String { files[index] }

  public func sample(at index: Int) throws -> CalibrationSample {
    let path = FolderListing.path(files[index], in: folder)
    let sample = try read(path)
    for input in inputs {
      guard let tensor = sample[input.name] else {
        throw KilnError.badInput("no array for model input '\(input.name)'", file: path, hint: "save one with numpy.savez(file, \(input.name)=array)")
      }
      try Self.check(tensor, fits: input, file: path)
    }
    if let extra = sample.keys.sorted().first(where: { key in !inputs.contains { $0.name == key } }) {
      throw KilnError.badInput("array '\(extra)' is not a model input", file: path, hint: "inputs: \(inputs.map(\.name).joined(separator: ", "))")
    }
    return sample
  }

  private func read(_ path: String) throws -> CalibrationSample {
    if path.lowercased().hasSuffix(".npz") { return try NPZArchive.read(path: path) }
    guard inputs.count == 1 else {
      throw KilnError.badInput("a .npy file holds one array, but the model has \(inputs.count) inputs", file: path, hint: "save one .npz per sample with an array per input")
    }
    return [inputs[0].name: try NPYFile.read(path: path)]
  }

  /// Throws unless `tensor` has the element type and the fixed dims of `input`.
  static func check(_ tensor: HostTensor, fits input: ModelInput, file: String) throws {
    if let dataType = input.dataType, dataType != tensor.dataType {
      throw KilnError.badInput("array for input '\(input.name)' is \(tensor.dataType.name), but the model takes \(dataType.name)", file: file)
    }
    guard let shape = input.shape else { return }
    let fits = shape.rank == tensor.rank && zip(shape.dims, tensor.shape).allSatisfy { dim, size in dim.value.map { $0 == size } ?? true }
    guard fits else {
      throw KilnError.badInput("array for input '\(input.name)' has shape \(tensor.shape), but the model takes \(shape)", file: file)
    }
  }
}
