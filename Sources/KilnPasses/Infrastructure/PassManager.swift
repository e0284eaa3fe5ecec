// The pass manager: runs a pipeline over a model, verifying, timing and counting as it goes.

import KilnIR

/// What one run of one pass did.
public struct PassStatistics: Sendable, Hashable {
  public var pass: String
  /// Which round of a fixed-point pipeline (1 for a pipeline run once).
  public var iteration: Int
  public var changed: Bool
  public var seconds: Double
  /// Nodes in the model, subgraphs included, before and after the pass.
  public var nodesBefore: Int
  public var nodesAfter: Int
}

/// What a pipeline run did.
public struct PipelineReport: Sendable {
  /// One entry per pass run, in order.
  public var statistics: [PassStatistics]
  /// How many rounds over the pipeline ran.
  public var iterations: Int
  /// Whether the last round changed nothing (always true for a pipeline run once that
  /// finished; false when a fixed-point pipeline hit its cap while still changing).
  public var converged: Bool
  /// Notes the passes recorded, for `--verbose`.
  public var notes: [PassNote]

  public init(statistics: [PassStatistics], iterations: Int, converged: Bool, notes: [PassNote]) {
    self.statistics = statistics
    self.iterations = iterations
    self.converged = converged
    self.notes = notes
  }
}

/// Runs a `Pipeline` over a model's main graph and, through each pass's scope, its subgraphs.
///
/// After each pass it can run KilnIR's `Verifier` (on by default in debug builds, which tests
/// are), so a pass that breaks the IR is named right after it runs. Any error a pass throws
/// comes out as a `KilnError` that names the pass, and the node when the pass said which.
public struct PassManager {
  public var pipeline: Pipeline
  /// Run the verifier after every pass.
  public var verifyEachPass: Bool
  /// Called after every pass run (and the verifier), with what the pass did and the model as
  /// it now is; an error it throws stops the pipeline and comes out of `run` as thrown.
  /// `kiln convert --verify-each` checks the numbers here.
  public var afterEachPass: ((PassStatistics, Model) throws -> Void)?

  /// Whether the verifier runs after each pass unless asked otherwise: yes in debug builds.
  public static var verifiesByDefault: Bool {
    #if DEBUG
      true
    #else
      false
    #endif
  }

  public init(pipeline: Pipeline, verifyEachPass: Bool = PassManager.verifiesByDefault) {
    self.pipeline = pipeline
    self.verifyEachPass = verifyEachPass
  }

  /// Runs the pipeline over `model`, once or to a fixed point, and reports what each pass did.
  /// `context` defaults to a fresh one for the model.
  public func run(on model: Model, context: PassContext? = nil) throws -> PipelineReport {
    let context = context ?? PassContext(model: model)
    var statistics: [PassStatistics] = []
    let rounds = max(1, pipeline.fixedPointLimit ?? 1)
    var iteration = 0
    var changedInLastRound = false
    let clock = ContinuousClock()
    var initializerInputs = InitializerInputs(model)
    let overridable = pipeline.steps.isEmpty ? nil : OverridableInitializers(model)
    overridable?.hide(in: model.graph)
    defer { overridable?.restore(in: model.graph) }
    repeat {
      iteration += 1
      changedInLastRound = false
      for step in pipeline.steps {
        let before = model.graph.nodeCountIncludingSubgraphs
        let start = clock.now
        let changed = try runStep(step, on: model.graph, context: context)
        let elapsed = clock.now - start
        if changed {
          for graph in model.graph.allGraphs() { graph.dropStaleAnnotations() }
          initializerInputs?.synchronize(model.graph)
        }
        if verifyEachPass { try verify(model, after: step) }
        changedInLastRound = changedInLastRound || changed
        let stats = PassStatistics(
          pass: step.pass.name, iteration: iteration, changed: changed, seconds: seconds(elapsed),
          nodesBefore: before, nodesAfter: model.graph.nodeCountIncludingSubgraphs)
        statistics.append(stats)
        if let afterEachPass {
          overridable?.restore(in: model.graph)
          defer { overridable?.hide(in: model.graph) }
          try afterEachPass(stats, model)
        }
      }
    } while pipeline.fixedPointLimit != nil && changedInLastRound && iteration < rounds
    let converged = pipeline.fixedPointLimit == nil || !changedInLastRound
    return PipelineReport(
      statistics: statistics, iterations: iteration, converged: converged, notes: context.notes)
  }

  private func runStep(_ step: Pipeline.Step, on graph: Graph, context: PassContext) throws -> Bool {
    context.passName = step.pass.name
    defer { context.passName = "" }
    do {
      return try step.pass.apply(to: graph, context: context)
    } catch let error as KilnError {
      var located = error
      located.message = "pass '\(step.pass.name)' failed: " + error.message
      throw located
    } catch {
      throw KilnError(.internalError, "pass '\(step.pass.name)' failed: \(error)")
    }
  }

  private func verify(_ model: Model, after step: Pipeline.Step) throws {
    do {
      try Verifier.verify(model)
    } catch let error as KilnError {
      // The input was verified before the pipeline, so this is the pass's bug.
      var located = error
      located.kind = .internalError
      located.message = "pass '\(step.pass.name)' left an invalid graph: " + error.message
      throw located
    }
  }

  private func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
  }
}
