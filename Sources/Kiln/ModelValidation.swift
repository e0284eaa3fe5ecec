// `kiln validate`: run a reference and a candidate model on the same samples and check how
// close the candidate's outputs stay.

import Foundation
import KilnIR
import KilnQuant
import KilnRuntime
import KilnValidate

/// What `kiln validate` was asked to do.
public struct ModelValidationRequest {
  /// The samples (`--images`, `--inputs` or `--random`), read for the reference model's inputs.
  public var samples: CalibrationDataRequest
  /// A labels file (`--labels`); the samples must then be images.
  public var labelsFile: String?
  public var thresholds: ValidationThresholds
  /// Whether to run the per-layer diagnosis even when every threshold holds (`--per-layer`).
  public var perLayer: Bool
  /// Gets (samples done, samples in all) after each sample.
  public var progress: (Int, Int) -> Void

  public init(
    samples: CalibrationDataRequest, labelsFile: String? = nil, thresholds: ValidationThresholds = .init(),
    perLayer: Bool = false, progress: @escaping (Int, Int) -> Void = { _, _ in }
  ) {
    self.samples = samples
    self.labelsFile = labelsFile
    self.thresholds = thresholds
    self.perLayer = perLayer
    self.progress = progress
  }
}

/// Runs both models in KilnRuntime on every sample, in the source's order, and measures each
/// output of the reference against the candidate's; then, when asked or when a threshold fails,
/// a second pass ranks the candidate's layers by error (`LayerDiagnosis`).
public enum ModelValidation {
  public static func validate(reference: String, candidate: String, request: ModelValidationRequest) throws -> ValidationReport {
    let referenceModel = try ModelFile(path: reference).read()
    let candidateModel = try ModelFile(path: candidate).read()
    try checkInputsMatch(ModelInput.required(by: referenceModel), ModelInput.required(by: candidateModel))
    let data: CalibrationData
    do {
      data = try CalibrationData.load(for: referenceModel, request: request.samples)
    } catch let error as KilnError where error.kind != .usage {
      throw error.inFile(reference)
    }
    let source = data.source
    guard source.count > 0 else { throw KilnError.badInput("there are no samples to validate on") }
    let labels = try request.labelsFile.map { file in
      guard request.samples.imageFolder != nil else { throw KilnError(.usage, "--labels needs --images") }
      return try ClassLabels.load(path: file).labels(of: (0..<source.count).map(source.name(at:)))
    }
    let runners = (try OutputRunner(model: referenceModel, path: reference), try OutputRunner(model: candidateModel, path: candidate))
    let outputs = try measure(runners.0, runners.1, source: source, labels: labels, progress: request.progress)
    let checks = try request.thresholds.checks(of: outputs)
    let layers =
      request.perLayer || !checks.allSatisfy(\.passed)
      ? try LayerDiagnosis.layers(runners.0, runners.1, source: source, progress: request.progress) : nil
    return ValidationReport(
      reference: reference, candidate: candidate, samples: source.count, outputs: outputs, checks: checks, layers: layers)
  }

  /// Bad input naming the first difference in the inputs' names, element types, ranks or fixed dims.
  static func checkInputsMatch(_ reference: [ModelInput], _ candidate: [ModelInput]) throws {
    let names = (reference.map(\.name), candidate.map(\.name))
    guard names.0 == names.1 else {
      throw KilnError.badInput(
        "the models' inputs differ: the reference has \(names.0.joined(separator: ", ")), the candidate \(names.1.joined(separator: ", "))")
    }
    for (r, c) in zip(reference, candidate) {
      if r.dataType != c.dataType {
        throw KilnError.badInput(
          "the models' input '\(r.name)' differs in element type: \(describe(r.dataType)) in the reference, \(describe(c.dataType)) in the candidate")
      }
      let fixed = { (input: ModelInput) in input.shape.map { $0.dims.map(\.value) } }
      if let rs = r.shape, let cs = c.shape, rs.rank != cs.rank || fixed(r) != fixed(c) {
        throw KilnError.badInput(
          "the models' input '\(r.name)' differs in shape: \(rs) in the reference, \(cs) in the candidate")
      }
    }
  }

  private static func describe(_ dataType: DataType?) -> String { dataType.map { "\($0)" } ?? "unknown" }

  /// Runs both models on every sample and accumulates the metrics of each reference output.
  static func measure(
    _ reference: OutputRunner, _ candidate: OutputRunner, source: any CalibrationSource, labels: [Int]?,
    progress: (Int, Int) -> Void
  ) throws -> [OutputMetrics] {
    let names = reference.outputNames
    var metrics = names.map { OutputMetricsAccumulator(name: $0, histogram: true) }
    var classifiers: [ClassifierMetricsAccumulator?] = names.map { _ in nil }
    for index in 0..<source.count {
      let sample = try source.sample(at: index)
      let (expected, actual) = try runBoth(reference, candidate, on: sample)
      for (position, name) in names.enumerated() {
        let (r, shape) = try reference.values(name, in: expected)
        let (c, candidateShape) = try candidate.values(name, in: actual)
        guard shape == candidateShape else {
          throw KilnError.badInput(
            "output '\(name)' has shape \(shape) in the reference but \(candidateShape) in the candidate on sample \(source.name(at: index))")
        }
        metrics[position].add(reference: r, candidate: c)
        if index == 0, ClassifierMetrics.isClassifier(shape: shape) { classifiers[position] = ClassifierMetricsAccumulator() }
        classifiers[position]?.add(reference: r, candidate: c, label: labels?[index])
      }
      progress(index + 1, source.count)
    }
    return zip(metrics, classifiers).map { accumulator, classifier in
      var result = accumulator.metrics
      result.classifier = classifier?.metrics
      return result
    }
  }
}

extension ModelValidation {
  /// Both models' outputs on `sample`, the two runs on two threads at once (each executor on
  /// its own thread); the reference's error comes first when both fail, so the outcome does not
  /// depend on timing.
  static func runBoth(
    _ reference: OutputRunner, _ candidate: OutputRunner, on sample: CalibrationSample
  ) throws -> ([String: HostTensor], [String: HostTensor]) {
    let runners = [reference, candidate]
    let outputs = try concurrentResults(2) { try runners[$0].run(sample) }
    return (outputs[0], outputs[1])
  }
}

/// One model ready to run, with its path for messages.
struct OutputRunner {
  let executor: Executor
  let path: String

  init(model: Model, path: String) throws {
    do {
      executor = try Executor(model: model)
    } catch let error as KilnError {
      throw error.inFile(path)
    }
    self.path = path
  }

  /// The graph's output names, in order.
  var outputNames: [String] { executor.model.graph.outputs.map(\.name) }

  /// Runs the model on `sample`, showing `observer` every tensor of the main graph when given.
  func run(_ sample: CalibrationSample, observing observer: TensorObserver? = nil) throws -> [String: HostTensor] {
    do {
      return try observer.map { try executor.run(sample, observing: $0) } ?? executor.run(sample)
    } catch let error as KilnError {
      throw error.inFile(path)
    }
  }

  /// Output `name`'s elements as Double and its shape; bad input when the model lacks it or
  /// its elements are not numbers.
  func values(_ name: String, in outputs: [String: HostTensor]) throws -> ([Double], [Int]) {
    guard let tensor = outputs[name] else {
      throw KilnError.badInput("the model has no output '\(name)', which the reference has", file: path)
    }
    guard let values = tensor.doubleValues() else {
      throw KilnError.badInput("output '\(name)' holds \(tensor.dataType) elements, which cannot be compared", file: path)
    }
    return (values, tensor.shape)
  }
}
