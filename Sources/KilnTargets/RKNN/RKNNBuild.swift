// Building an .rknn with rknn-toolkit2 and checking its simulator against Kiln's runtime.

import Foundation
import KilnIR
import KilnPasses
import KilnQuant
import KilnRuntime

/// Drives rknn-toolkit2 through `scripts/rknn_build.py` in its own venv: Kiln writes the
/// dataset (one .npy per input and sample, exactly the tensors Kiln's preprocessing made, so
/// RKNN's config has mean 0 and std 1), the inputs to compare on and Kiln's outputs for them;
/// the script builds (int8 with the dataset, else float16), exports the .rknn, runs the PC
/// simulator on those inputs and reports cosine and largest error per output.
struct RKNNBuild {
  let python: String
  let script: String

  /// How many samples the simulator runs and Kiln compares.
  static let comparedSamples = 4

  /// The toolkit; bad input saying how to install it when it is missing.
  static func locate() throws -> RKNNBuild {
    guard let python = ToolkitFiles.rknnPython() else {
      throw KilnError.badInput(
        "--build for rknn needs rknn-toolkit2, and there is no rknn venv",
        hint: "run `make setup` (it creates .venv-rknn with rknn-toolkit2 2.5.0, about 6 GB), "
          + "or set KILN_RKNN_PYTHON to a python that imports rknn.api")
    }
    guard let script = ToolkitFiles.script("rknn_build.py") else {
      throw KilnError.internalError("scripts/rknn_build.py is not beside kiln nor in its source tree")
    }
    return RKNNBuild(python: python, script: script)
  }

  /// Builds `onnx` (the legalized `model`, written) into `destination` for `platform`,
  /// quantized with `samples` when given, and compares the simulator with Kiln's runtime.
  func run(_ model: Model, onnx: String, destination: String, platform: String, samples: (any CalibrationSource)?)
    throws -> ToolkitReport
  {
    let folder = try ScratchFolder()
    let inputs = model.graph.inputs.filter { $0.constant == nil }
    let dataset = try samples.map { source in
      try (0..<source.count).map { try write(source.sample(at: $0), inputs, to: folder, as: "dataset_\($0)") }
    }
    let compared = try comparisonSamples(samples, inputs: inputs)
    let executor = try Executor(model: model)
    var runs: [[String: [String]]] = []
    for (index, sample) in compared.enumerated() {
      let results = try executor.run(sample)
      let expected = try model.graph.outputs.enumerated().map { position, output in
        guard let tensor = results[output.name] else { throw KilnError.internalError("Kiln's runtime gave no '\(output.name)'") }
        let path = folder.file("expected_\(index)_\(position).npy")
        try NPYFile.write(tensor, to: path)
        return path
      }
      runs.append(["inputs": try write(sample, inputs, to: folder, as: "compare_\(index)"), "expected": expected])
    }
    let rknn = folder.file("model.rknn")
    let config = DriverConfig(
      onnx: onnx, rknn: rknn, platform: platform,
      inputs: inputs.map { .init(name: $0.name, channels: Self.channels($0)) }, dataset: dataset, samples: runs,
      outputs: model.graph.outputs.map(\.name))
    let configPath = folder.file("config.json")
    try JSONEncoder().encode(config).write(to: URL(fileURLWithPath: configPath))
    let arguments = [script, configPath]
    let (status, log) = try ToolkitProcess.run(python, arguments)
    guard status == 0, let result = Self.result(log) else {
      throw KilnError.badInput(
        "rknn-toolkit2 could not build the .rknn (exit \(status)); the ONNX was written to \(onnx):\n" + ToolkitProcess.tail(log))
    }
    let file = try TargetFiles.write([TargetFiles.copy(of: rknn, to: destination)])
    let precision = samples == nil ? "float16" : "int8 from \(samples?.count ?? 0) samples"
    return ToolkitReport(
      tool: "rknn-toolkit2", command: ToolkitProcess.line([python] + arguments), ran: true,
      note: "built \(precision) for \(platform); simulator against Kiln's runtime on \(compared.count) inputs",
      files: file, outputs: result)
  }

  /// The samples the simulator runs: the first calibration samples, else seeded random
  /// inputs (floats uniform in [-1, 1)) of the inputs' static shapes.
  private func comparisonSamples(_ samples: (any CalibrationSource)?, inputs: [Value]) throws -> [[String: HostTensor]] {
    if let samples { return try (0..<min(samples.count, Self.comparedSamples)).map { try samples.sample(at: $0) } }
    var generator = SplitMix64(seed: 0)
    return try (0..<Self.comparedSamples).map { _ in
      var sample: [String: HostTensor] = [:]
      for input in inputs {
        guard let (type, shape) = input.type?.tensor, let sizes = shape?.staticSizes else {
          throw KilnError.badInput("input '\(input.name)' needs a static tensor shape")
        }
        sample[input.name] = try HostTensor.random(type, shape: sizes.map { Int($0) }, using: &generator)
      }
      return sample
    }
  }

  /// Writes one sample's tensors as .npy files, in input order, and returns their paths.
  private func write(_ sample: [String: HostTensor], _ inputs: [Value], to folder: ScratchFolder, as stem: String) throws
    -> [String]
  {
    try inputs.enumerated().map { position, input in
      guard let tensor = sample[input.name] else { throw KilnError.badInput("a sample has no tensor for input '\(input.name)'") }
      let path = folder.file("\(stem)_\(position).npy")
      try NPYFile.write(tensor, to: path)
      return path
    }
  }

  /// The channel count RKNN's per-channel mean and std need: dim 1 of a 4-D input, else 1.
  private static func channels(_ input: Value) -> Int {
    guard let shape = input.tensorShape, shape.rank == 4, let channels = shape.dims[1].value else { return 1 }
    return Int(channels)
  }

  /// The comparisons the script printed on its `KILN_RESULT` line.
  private static func result(_ log: String) -> [ToolkitComparison]? {
    let prefix = "KILN_RESULT "
    guard let line = log.split(separator: "\n").last(where: { $0.hasPrefix(prefix) }) else { return nil }
    return try? JSONDecoder().decode(DriverResult.self, from: Data(line.dropFirst(prefix.count).utf8)).outputs
  }

  /// What the script reads.
  private struct DriverConfig: Encodable {
    struct Input: Encodable {
      var name: String
      var channels: Int
    }
    var onnx: String
    var rknn: String
    var platform: String
    var inputs: [Input]
    var dataset: [[String]]?
    var samples: [[String: [String]]]
    var outputs: [String]
  }

  /// What the script prints.
  private struct DriverResult: Decodable {
    var outputs: [ToolkitComparison]
  }
}
