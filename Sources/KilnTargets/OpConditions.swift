// Conditions on nodes that several targets' op tables share: constant inputs, kernel ranks, batch 1.

import KilnIR
import KilnPasses

/// Small checks that return why a node breaks a condition, or nil when it keeps it.
enum OpConditions {
  /// Input `index`, when present, must be a constant (an initializer).
  static func constantInput(_ index: Int, _ what: String) -> @Sendable (Node) -> String? {
    { node in
      guard index < node.inputs.count, let input = node.inputs[index] else { return nil }
      return input.constant == nil ? "\(what) (input \(index)) must be a constant" : nil
    }
  }

  /// The pooling window has `ranks` spatial dims (from `kernel_shape`, else the input's rank).
  static func spatialRank(_ ranks: ClosedRange<Int>, _ what: String) -> @Sendable (Node) -> String? {
    { node in
      let rank = node.ints("kernel_shape")?.count ?? (node.inputs.first??.tensorShape).map { $0.rank - 2 }
      guard let rank, !ranks.contains(rank) else { return nil }
      return "\(rank)-D \(what); only \(ranks.lowerBound)-D to \(ranks.upperBound)-D"
    }
  }

  /// The first input's batch (dim 0 of a tensor of rank 3 or more), when known, is 1.
  static let batchOne: @Sendable (Node) -> String? = { node in
    guard let shape = node.inputs.first??.tensorShape, shape.rank >= 3, let batch = shape.dims[0].value, batch != 1
    else { return nil }
    return "batch \(batch); only batch 1"
  }

  /// String attribute `name` (default `fallback`) is one of `allowed`.
  static func oneOf(_ name: String, _ allowed: [String], default fallback: String) -> @Sendable (Node) -> String? {
    { node in
      let value = node.string(name) ?? fallback
      return allowed.contains(value) ? nil : "\(name) '\(value)' is not supported (\(allowed.joined(separator: ", ")))"
    }
  }

  /// Input `index` is a constant whose every element is zero (a zero point of 0).
  static func zeroInput(_ index: Int, _ what: String) -> @Sendable (Node) -> String? {
    { node in
      guard index < node.inputs.count, let input = node.inputs[index] else { return nil }
      // Zero is all-zero bytes in every integer type a zero point has.
      let zero = try? input.constant?.withRawBytes { $0.allSatisfy { $0 == 0 } }
      return zero == true ? nil : "\(what) must be a constant 0"
    }
  }

  /// Every reason among `checks`, joined; nil when there is none.
  static func all(_ checks: [@Sendable (Node) -> String?]) -> @Sendable (Node) -> String? {
    { node in
      let reasons = checks.compactMap { $0(node) }
      return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
  }
}
