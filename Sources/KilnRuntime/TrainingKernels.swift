// Optimizer steps of the ai.onnx.preview.training domain: Adagrad, Adam and Momentum.

import Foundation
import KilnIR

extension KernelFamily {
  /// Adagrad, Adam and Momentum (standard or Nesterov) from ai.onnx.preview.training: one
  /// update of several tensors per call. Inputs are the learning rate R and step count T
  /// (scalars), then the n tensors X, their n gradients G, and the n tensors of each
  /// optimizer state; outputs are the n new X followed by the n new tensors of each state.
  /// Every group shares one shape; computed elementwise in Double with the ONNX formulas.
  static let training = KernelFamily { registry in
    let domain = "ai.onnx.preview.training"
    registry.register("Adagrad", domain: domain) { invocation in
      try optimizerStep(invocation, states: 1, adagradRule(invocation))
    }
    registry.register("Adam", domain: domain) { invocation in
      try optimizerStep(invocation, states: 2, adamRule(invocation))
    }
    registry.register("Momentum", domain: domain) { invocation in
      try optimizerStep(invocation, states: 1, try momentumRule(invocation))
    }
  }

  /// An optimizer's update of one element: from R, T and [x, g, state...] to [x', state'...].
  private typealias UpdateRule = (_ rate: Double, _ step: Int, _ operands: [Double]) -> [Double]

  /// Adagrad: H' = H + g², X' = X − r·g / (√H' + ε) with r = R / (1 + T·decay_factor), where
  /// g = G + norm_coefficient·X.
  private static func adagradRule(_ invocation: KernelInvocation) -> UpdateRule {
    let decay = Double(invocation.float("decay_factor", default: 0))
    let epsilon = Double(invocation.float("epsilon", default: 1e-6))
    let norm = Double(invocation.float("norm_coefficient", default: 0))
    return { rate, step, operands in
      let (x, g, h) = (operands[0], operands[1], operands[2])
      let regularized = norm * x + g
      let newH = h + regularized * regularized
      let adjustedRate = rate / (1 + Double(step) * decay)
      return [x - adjustedRate * regularized / (newH.squareRoot() + epsilon), newH]
    }
  }

  /// Adam: V' = αV + (1 − α)g, H' = βH + (1 − β)g², X' = (1 − norm_coefficient_post) ·
  /// (X − r·V' / (√H' + ε)) with r = R·√(1 − β^T) / (1 − α^T) once T > 0, where
  /// g = G + norm_coefficient·X.
  private static func adamRule(_ invocation: KernelInvocation) -> UpdateRule {
    let alpha = Double(invocation.float("alpha", default: 0.9))
    let beta = Double(invocation.float("beta", default: 0.999))
    let epsilon = Double(invocation.float("epsilon", default: 1e-6))
    let norm = Double(invocation.float("norm_coefficient", default: 0))
    let normPost = Double(invocation.float("norm_coefficient_post", default: 0))
    return { rate, step, operands in
      let (x, g, v, h) = (operands[0], operands[1], operands[2], operands[3])
      let regularized = norm * x + g
      let newV = alpha * v + (1 - alpha) * regularized
      let newH = beta * h + (1 - beta) * regularized * regularized
      let power = Double(step)
      let adjustedRate = step > 0 ? rate * (1 - pow(beta, power)).squareRoot() / (1 - pow(alpha, power)) : rate
      let newX = x - adjustedRate * newV / (newH.squareRoot() + epsilon)
      return [(1 - normPost) * newX, newV, newH]
    }
  }

  /// Momentum: V' = αV + β'g with β' = β once T > 0 and 1 before; standard mode steps
  /// X' = X − R·V', Nesterov mode X' = X − R·(g + αV'), where g = G + norm_coefficient·X.
  private static func momentumRule(_ invocation: KernelInvocation) throws -> UpdateRule {
    for name in ["alpha", "beta", "mode", "norm_coefficient"] where invocation.node.attribute(name) == nil {
      throw invocation.failure("needs attribute '\(name)'")
    }
    let alpha = Double(invocation.float("alpha", default: 0))
    let beta = Double(invocation.float("beta", default: 0))
    let norm = Double(invocation.float("norm_coefficient", default: 0))
    let mode = invocation.string("mode", default: "")
    guard mode == "standard" || mode == "nesterov" else {
      throw invocation.failure("has unknown mode '\(mode)'")
    }
    let nesterov = mode == "nesterov"
    return { rate, step, operands in
      let (x, g, v) = (operands[0], operands[1], operands[2])
      let regularized = norm * x + g
      let newV = alpha * v + (step > 0 ? beta : 1) * regularized
      let newX = x - rate * (nesterov ? regularized + alpha * newV : newV)
      return [newX, newV]
    }
  }

  /// Applies `rule` to every element of n tensor groups of (X, G, `states` state tensors).
  private static func optimizerStep(
    _ invocation: KernelInvocation, states: Int, _ rule: UpdateRule
  ) throws -> [HostTensor?] {
    let groupSize = 2 + states
    let operandCount = invocation.inputs.count - 2
    guard operandCount >= groupSize, operandCount % groupSize == 0 else {
      throw invocation.failure(
        "needs R, T and \(groupSize) tensors per optimized tensor, got \(invocation.inputs.count) inputs")
    }
    let rate = try invocation.scalar(try invocation.input(0), named: "learning rate R")
    let step = try invocation.intValues(of: try invocation.input(1))
    guard step.count == 1 else { throw invocation.failure("needs a scalar step count T") }
    let count = operandCount / groupSize
    var outputs = [HostTensor?](repeating: nil, count: count * (1 + states))
    for tensor in 0..<count {
      let operands = try (0..<groupSize).map { try invocation.input(2 + $0 * count + tensor) }
      let x = operands[0]
      guard x.isFloatingPoint, operands.allSatisfy({ $0.shape == x.shape && $0.dataType == x.dataType }) else {
        throw invocation.failure("needs float tensors of one type and shape in group \(tensor)")
      }
      let values = try operands.map { try invocation.doubleValues(of: $0) }
      var updated = [[Double]](repeating: [Double](repeating: 0, count: x.elementCount), count: 1 + states)
      for element in 0..<x.elementCount {
        for (slot, value) in rule(rate, step[0], values.map { $0[element] }).enumerated() {
          updated[slot][element] = value
        }
      }
      for (slot, result) in updated.enumerated() {
        outputs[slot * count + tensor] = try HostTensor.narrowing(result, to: x.dataType, shape: x.shape)
      }
    }
    return Array(outputs.prefix(invocation.node.outputs.count))
  }
}
