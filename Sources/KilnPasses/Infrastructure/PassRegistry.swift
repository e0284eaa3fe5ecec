// The one list of passes, by name.

import KilnIR

/// Every pass Kiln has, by pipeline name: what `kiln passes` lists and pipelines are built from.
public struct PassRegistry: @unchecked Sendable {  // immutable: metatypes, fixed at init
  /// The pass types, in listing order.
  public let passes: [any Pass.Type]
  private let byName: [String: any Pass.Type]

  /// A registry of `passes`; a later pass with the same name as an earlier one is ignored.
  public init(_ passes: [any Pass.Type]) {
    self.passes = passes
    byName = Dictionary(passes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// Every pass of KilnPasses. Add a new pass here, in its group.
  public static var standard: PassRegistry {
    PassRegistry([
      // Cleanup
      EliminateDeadCode.self,
      EliminateIdentity.self,
      EliminateCommonSubexpressions.self,
      EliminateUnusedInitializers.self,
      // Fusion: convolutions and matrix products
      FoldBatchNorm.self,
      FuseMulAddIntoConv.self,
      FuseMatMulAddToGemm.self,
      FusePadIntoConv.self,
      FusePadIntoPool.self,
      // Fusion: transformer and activation formulas
      FuseLayerNorm.self,
      FuseGelu.self,
      FuseHardSwish.self,
      FuseHardSigmoid.self,
      // Fusion: layout and type chains
      FuseConsecutiveTransposes.self,
      EliminateInverseTransposes.self,
      FuseConsecutiveReshapes.self,
      FuseSqueezeUnsqueeze.self,
      FuseConsecutiveCasts.self,
      FuseConsecutiveSlices.self,
      // Folding
      InferShapes.self,
      FoldConstants.self,
      FoldShapes.self,
      // Legalization for targets
      LegalizeStaticBatch.self,
    ])
  }

  /// The pass type named `name`, if there is one.
  public func passType(named name: String) -> (any Pass.Type)? { byName[name] }

  /// Builds pass `name` from option texts; throws a usage `KilnError` for an unknown pass, an
  /// unknown option or a malformed value.
  public func makePass(_ name: String, options: [(name: String, value: String)] = []) throws -> any Pass {
    guard let type = byName[name] else {
      throw KilnError(.usage, "unknown pass '\(name)'", hint: "`kiln passes` lists every pass")
    }
    return try type.init(options: PassOptions.parse(options, for: type.options, pass: name))
  }
}
