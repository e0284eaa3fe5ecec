// Float32 Add, Sub, Mul and Div where no broadcast rows need walking.

import CKilnKernels
import KilnIR

/// The common float32 cases of the four arithmetic ops — operands that hold the result's
/// elements in order (equal shapes: a residual Add) or one side a single value, as
/// `elementSteps` tells them — in one vectorized C loop per thread, with a fused Relu or Clip
/// (`KernelInvocation.fusedActivation`) applied in the same pass. Other shapes and types take
/// the general broadcasting path. The numbers are those of that path: one IEEE operation per
/// element, then the clamp.
enum FloatArithmetic {
  /// `a op b` for `invocation`'s op, or nil when the op, the types or the shapes are not the
  /// ones handled here.
  static func compute(_ a: HostTensor, _ b: HostTensor, for invocation: KernelInvocation) throws -> HostTensor? {
    guard a.dataType == .float, b.dataType == .float, let op = operation(invocation.node.opType),
          let shape = BroadcastPlan.broadcastShape([a.shape, b.shape]),
          let (stepA, stepB) = elementSteps(
            a.elementCount, b.elementCount, resultCount: try HostTensor.elementCount(of: shape))
    else { return nil }
    let result = try HostTensor(uninitialized: .float, shape: shape)
    let (low, high) = (invocation.fusedActivation?.low ?? -.infinity, invocation.fusedActivation?.high ?? .infinity)
    let x = a.buffer.pointer.assumingMemoryBound(to: Float.self)
    let y = b.buffer.pointer.assumingMemoryBound(to: Float.self)
    let out = result.buffer.pointer.assumingMemoryBound(to: Float.self)
    withExtendedLifetime((a, b)) {
      elementChunks(result.elementCount, invocation.threads) { range in
        kiln_arithmetic(op, x + range.lowerBound * stepA, stepA, y + range.lowerBound * stepB, stepB,
                        out + range.lowerBound, range.count, low, high)
      }
    }
    return result
  }

  /// Whether a Relu or Clip after `node` can be applied by this op's kernel: a float32 Add,
  /// Sub, Mul or Div (the general path clamps its float32 results too).
  static func fuses(_ node: Node) -> Bool {
    operation(node.opType) != nil && node.outputs.first??.type?.tensor?.dataType == .float
  }

  private static func operation(_ opType: String) -> kiln_arithmetic_op? {
    switch opType {
    case "Add": KILN_ADD
    case "Sub": KILN_SUBTRACT
    case "Mul": KILN_MULTIPLY
    case "Div": KILN_DIVIDE
    default: nil
    }
  }
}
