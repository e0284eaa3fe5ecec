// Kernels that pass data through or produce constants: Identity, Dropout (inference), Constant.

import KilnIR

extension KernelFamily {
  static let identityAndConstants = KernelFamily { registry in
    registry.registerValues("Identity") { [try $0.value(0)] }
    registry.register("Dropout") { invocation in
      // Inference: the data passes through; the optional mask is all true.
      let data = try invocation.input(0)
      guard invocation.node.outputs.count > 1 else { return [data] }
      let mask = try HostTensor(zeros: .bool, shape: data.shape)
      mask.mutableElements(as: Bool.self).update(repeating: true)
      return [data, mask]
    }
    registry.register("Constant", constantKernel)
  }

  private static func constantKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let node = invocation.node
    switch node.attributes.first?.value {
    case .tensor(let tensor)?: return [try HostTensor(tensor)]
    case .float(let value)?: return [try HostTensor(scalar: value)]
    case .floats(let values)?: return [try HostTensor(shape: [values.count], values: values)]
    case .int(let value)?: return [try HostTensor(scalar: value)]
    case .ints(let values)?: return [try HostTensor(shape: [values.count], values: values)]
    default: throw invocation.failure("has no value attribute the runtime supports")
    }
  }
}
