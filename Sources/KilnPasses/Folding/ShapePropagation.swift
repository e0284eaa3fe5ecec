// Kiln's own output-type rules: what an op's inputs prove about its outputs, symbolic dims kept.

import KilnIR

/// Output types that follow from a node's input types and constant inputs, for the ops whose
/// shapes matter most to later passes (elementwise, Conv and pooling, Reshape, Transpose,
/// Concat, MatMul, Gemm, Shape arithmetic, Expand, Tile, ConstantOfShape, Range, ...).
///
/// Unlike libonnx's inference this keeps symbolic dims: `Relu(x: [N,3])` is `[N,3]`, a Conv
/// over `[N,3,224,224]` is `[N,64,112,112]`, `Reshape(x: [N,3,4], [0,-1])` is `[N,12]`. A rule
/// proves only what holds for every valid run: a dim it cannot tell is `.unknown`, and an op
/// it does not know gives no types at all.
enum ShapePropagation {
  /// What is known of one input: its element type, its shape and, when constant, its data.
  struct Operand {
    var dataType: DataType?
    var shape: Shape?
    var constant: Tensor?

    init(_ value: Value?) {
      if let tensor = value?.constantTensor {
        dataType = tensor.dataType
        shape = tensor.shape
        constant = tensor
      } else {
        dataType = value?.elementType
        shape = value?.tensorShape
      }
    }

    /// The constant's elements as integers (shapes, axes, repeats).
    var integers: [Int64]? { constant?.integers() }
  }

  /// The output types of `node` that its inputs prove, one per output (nil where nothing is
  /// proved); empty when the rule table does not know the op.
  static func outputTypes(of node: Node, opset: Int64) -> [ValueType?] {
    guard node.domain.isEmpty || node.domain == "ai.onnx" else { return [] }
    let operands = node.inputs.map(Operand.init)
    guard let first = rule(for: node, operands, opset: opset) else { return [] }
    var types: [ValueType?] = [first.map { .tensor($0.dataType, $0.shape) }]
    // Second outputs that mirror the first one's shape.
    if node.outputs.count > 1 {
      switch node.opType {
      case "MaxPool": types.append(first.map { .tensor(.int64, $0.shape) })
      case "Dropout": types.append(first.map { .tensor(.bool, $0.shape) })
      default: break
      }
    }
    return types
  }

  /// A proved output: its element type and, when known, its shape.
  typealias Result = (dataType: DataType, shape: Shape?)

  private static let unary: Set<String> = [
    "Relu", "Sigmoid", "Tanh", "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil",
    "Round", "Sign", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
    "Acosh", "Atanh", "Softplus", "Softsign", "Elu", "Selu", "Celu", "LeakyRelu", "HardSigmoid",
    "HardSwish", "Gelu", "Mish", "ThresholdedRelu", "Shrink", "Identity", "Dropout", "Clip",
    "Softmax", "LogSoftmax", "Hardmax", "LRN", "BatchNormalization", "InstanceNormalization",
    "LayerNormalization", "Not", "BitwiseNot", "CumSum", "MeanVarianceNormalization",
  ]
  private static let broadcasting: Set<String> = [
    "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "And", "Or", "Xor", "PRelu", "Max",
    "Min", "Sum", "Mean", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
  ]
  private static let comparisons: Set<String> = [
    "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
  ]

  /// The first output of `node`; nil for an op without a rule. A rule gives a nil shape when
  /// only the element type is proved.
  private static func rule(for node: Node, _ operands: [Operand], opset: Int64) -> Result?? {
    let x = operands.first
    switch node.opType {
    case "Constant":
      guard let tensor = node.outputs.first??.constantTensor else { return .some(nil) }
      return (tensor.dataType, tensor.shape)
    case _ where unary.contains(node.opType):
      guard let x, let type = x.dataType else { return .some(nil) }
      return (type, x.shape)
    case _ where broadcasting.contains(node.opType):
      guard let type = operands.first?.dataType else { return .some(nil) }
      return (type, broadcast(operands.map(\.shape)))
    case _ where comparisons.contains(node.opType):
      return (.bool, broadcast(operands.map(\.shape)))
    case "IsNaN", "IsInf":
      return (.bool, x?.shape)
    case "Where":
      guard operands.count == 3, let type = operands[1].dataType else { return .some(nil) }
      return (type, broadcast(operands.map(\.shape)))
    case "Cast":
      return (DataType(rawValue: Int32(truncatingIfNeeded: node.int("to", default: 0))), x?.shape)
    case "CastLike":
      guard operands.count == 2, let type = operands[1].dataType else { return .some(nil) }
      return (type, x?.shape)
    case "Conv", "MaxPool", "AveragePool", "LpPool":
      return window(node, operands)
    case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool":
      guard let x, let type = x.dataType else { return .some(nil) }
      guard let dims = x.shape?.dims, dims.count >= 2 else { return (type, nil) }
      return (type, Shape(Array(dims.prefix(2)) + Array(repeating: .fixed(1), count: dims.count - 2)))
    case "Reshape":
      return reshape(node, operands)
    case "Transpose":
      guard let x, let type = x.dataType else { return .some(nil) }
      guard let dims = x.shape?.dims else { return (type, nil) }
      let perm = node.ints("perm") ?? (0..<Int64(dims.count)).reversed()
      guard perm.count == dims.count, perm.allSatisfy({ (0..<Int64(dims.count)).contains($0) }) else {
        return (type, nil)
      }
      return (type, Shape(perm.map { dims[Int($0)] }))
    case "Concat":
      return concat(node, operands)
    case "Flatten":
      guard let x, let type = x.dataType else { return .some(nil) }
      guard let dims = x.shape?.dims, let axis = normalized(node.int("axis", default: 1), rank: dims.count + 1)
      else { return (type, nil) }
      return (type, Shape([product(dims[..<axis]), product(dims[axis...])]))
    case "Shape":
      guard let rank = x?.shape?.rank else { return (.int64, nil) }
      let range = shapeRange(node, rank: rank)
      return (.int64, Shape(static: [Int64(range.count)]))
    case "Size":
      return (.int64, Shape([]))
    case "Unsqueeze", "Squeeze":
      return squeezing(node, operands, opset: opset)
    case "MatMul":
      return matMul(operands)
    case "Gemm":
      guard operands.count >= 2, let type = operands[0].dataType else { return .some(nil) }
      guard let a = operands[0].shape?.dims, let b = operands[1].shape?.dims, a.count == 2, b.count == 2 else {
        return (type, nil)
      }
      let m = node.int("transA", default: 0) == 0 ? a[0] : a[1]
      let n = node.int("transB", default: 0) == 0 ? b[1] : b[0]
      return (type, Shape([m, n]))
    case "ConstantOfShape":
      var type = DataType.float
      if case .tensor(let value)? = node.attribute("value") { type = value.dataType }
      guard let sizes = operands.first?.integers else { return (type, nil) }
      return (type, Shape(static: sizes))
    case "Expand":
      guard let x, let type = x.dataType else { return .some(nil) }
      guard operands.count == 2, let sizes = operands[1].integers else { return (type, nil) }
      return (type, broadcast([x.shape, Shape(static: sizes)]))
    case "Tile":
      guard let x, let type = x.dataType else { return .some(nil) }
      guard operands.count == 2, let dims = x.shape?.dims, let repeats = operands[1].integers,
        repeats.count == dims.count
      else { return (type, nil) }
      return (type, Shape(zip(dims, repeats).map { dim, times in times == 1 ? dim : multiply(dim, times) }))
    case "Range":
      return range(operands)
    case "Gather":
      guard operands.count == 2, let x, let type = x.dataType else { return .some(nil) }
      guard let dims = x.shape?.dims, let indices = operands[1].shape?.dims,
        let axis = normalized(node.int("axis", default: 0), rank: dims.count)
      else { return (type, nil) }
      return (type, Shape(Array(dims[..<axis]) + indices + Array(dims[(axis + 1)...])))
    default:
      return nil
    }
  }

  // MARK: Dims

  /// Numpy broadcasting of shapes; nil when a rank is unknown.
  static func broadcast(_ shapes: [Shape?]) -> Shape? {
    var result: [Dim] = []
    for shape in shapes {
      guard let dims = shape?.dims else { return nil }
      let rank = max(result.count, dims.count)
      let left = Array(repeating: Dim.fixed(1), count: rank - result.count) + result
      let right = Array(repeating: Dim.fixed(1), count: rank - dims.count) + dims
      result = zip(left, right).map(broadcast)
    }
    return Shape(result)
  }

  /// One dim of a broadcast: 1 yields to the other side; a size above 1 wins over a dim that
  /// must then be 1 or equal; two different names may be anything.
  static func broadcast(_ a: Dim, _ b: Dim) -> Dim {
    switch (a, b) {
    case (.fixed(1), _): b
    case (_, .fixed(1)): a
    case (.fixed(let x), .fixed(let y)): x == y ? a : .unknown
    case (.fixed, _): a
    case (_, .fixed): b
    case (.symbolic(let x), .symbolic(let y)): x == y ? a : .unknown
    default: .unknown
    }
  }

  /// The product of dims: static when all are, the one non-static dim when the others are 1.
  static func product<C: Collection<Dim>>(_ dims: C) -> Dim {
    var size: Int64 = 1
    var other: Dim?
    for dim in dims {
      if let value = dim.value {
        let (next, overflow) = size.multipliedReportingOverflow(by: value)
        guard !overflow else { return .unknown }
        size = next
      } else if other == nil {
        other = dim
      } else {
        return .unknown
      }
    }
    guard let other else { return .fixed(size) }
    return size == 1 || size == 0 ? (size == 0 ? .fixed(0) : other) : .unknown
  }

  static func multiply(_ dim: Dim, _ factor: Int64) -> Dim {
    guard let value = dim.value else { return factor == 0 ? .fixed(0) : .unknown }
    let (result, overflow) = value.multipliedReportingOverflow(by: factor)
    return overflow ? .unknown : .fixed(result)
  }

  static func normalized(_ axis: Int64, rank: Int) -> Int? {
    let resolved = axis < 0 ? axis + Int64(rank) : axis
    return (0..<Int64(max(rank, 0))).contains(resolved) ? Int(resolved) : nil
  }

  /// The dims `Shape` reports (its `start`/`end` attributes, opset 15), clamped.
  static func shapeRange(_ node: Node, rank: Int) -> Range<Int> {
    func clamp(_ value: Int64) -> Int {
      let resolved = value < 0 ? value + Int64(rank) : value
      return Int(min(max(resolved, 0), Int64(rank)))
    }
    let start = clamp(node.int("start", default: 0))
    let end = clamp(node.int("end", default: Int64(rank)))
    return start..<max(start, end)
  }

  // MARK: Op families

  /// Conv and pooling: `[N, C, spatial…]` with each spatial size from kernel, stride, pads,
  /// dilation and auto_pad when the input size is static.
  private static func window(_ node: Node, _ operands: [Operand]) -> Result?? {
    guard let x = operands.first, let type = x.dataType else { return .some(nil) }
    guard let dims = x.shape?.dims, dims.count >= 3 else { return (type, nil) }
    let spatial = dims.count - 2
    var channels = dims[1]
    var kernel = node.ints("kernel_shape")
    if node.opType == "Conv" {
      guard operands.count >= 2, let weight = operands[1].shape?.dims, weight.count == dims.count else {
        return (type, nil)
      }
      channels = weight[0]
      kernel = kernel ?? weight[2...].map { $0.value ?? -1 }
    }
    guard let kernel, kernel.count == spatial, kernel.allSatisfy({ $0 > 0 }) else {
      return (type, Shape([dims[0], channels] + Array(repeating: .unknown, count: spatial)))
    }
    let strides = node.ints("strides") ?? Array(repeating: 1, count: spatial)
    let dilations = node.ints("dilations") ?? Array(repeating: 1, count: spatial)
    let pads = node.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
    let autoPad = node.string("auto_pad") ?? "NOTSET"
    // ceil_mode's last-window rule differs between frameworks: leave those sizes unknown.
    let ceilMode = node.int("ceil_mode", default: 0) == 1
    guard strides.count == spatial, dilations.count == spatial, pads.count == 2 * spatial,
      strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 })
    else { return (type, nil) }
    let sizes: [Dim] = (0..<spatial).map { axis in
      guard let size = dims[axis + 2].value else { return .unknown }
      let reach = dilations[axis] * (kernel[axis] - 1) + 1
      switch autoPad {
      case "SAME_UPPER", "SAME_LOWER": return .fixed((size + strides[axis] - 1) / strides[axis])
      case "VALID": return size >= reach ? .fixed((size - reach) / strides[axis] + 1) : .unknown
      case "NOTSET":
        let span = size + pads[axis] + pads[axis + spatial] - reach
        guard span >= 0, !ceilMode else { return .unknown }
        return .fixed(span / strides[axis] + 1)
      default: return .unknown
      }
    }
    return (type, Shape([dims[0], channels] + sizes))
  }

  /// Reshape with a constant target: 0 copies the input's dim (unless allowzero), -1 takes the
  /// rest, found when the input's non-static dims are exactly those copied through, or when one
  /// symbolic dim is left over and the static sizes match (`[N,8,8,8]` to `[-1,512]` is
  /// `[N,512]`).
  private static func reshape(_ node: Node, _ operands: [Operand]) -> Result?? {
    guard operands.count >= 2, let type = operands[0].dataType else { return .some(nil) }
    guard let target = operands[1].integers else { return (type, nil) }
    let input = operands[0].shape?.dims
    let copies = node.int("allowzero", default: 0) == 0
    var dims: [Dim] = []
    for (index, size) in target.enumerated() {
      if size == 0 && copies {
        guard let input, index < input.count else { return (type, nil) }
        dims.append(input[index])
      } else {
        dims.append(size == -1 ? .unknown : .fixed(size))
      }
    }
    guard let inferred = target.firstIndex(of: -1), let input else { return (type, Shape(dims)) }
    var remaining = input.filter { $0.value == nil }
    for dim in dims where dim.value == nil {
      if let match = remaining.firstIndex(of: dim), dim != .unknown { remaining.remove(at: match) }
    }
    let known = dims.enumerated().filter { $0.offset != inferred }.map(\.element)
    let inputSize = input.compactMap(\.value).reduce(1, *)
    let outputSize = known.compactMap(\.value).reduce(1, *)
    guard outputSize > 0 else { return (type, Shape(dims)) }
    if remaining.isEmpty, inputSize % outputSize == 0 {
      dims[inferred] = .fixed(inputSize / outputSize)
    } else if remaining.count == 1, case .symbolic = remaining[0], inputSize == outputSize {
      dims[inferred] = remaining[0]
    }
    return (type, Shape(dims))
  }

  private static func concat(_ node: Node, _ operands: [Operand]) -> Result?? {
    guard let type = operands.first?.dataType else { return .some(nil) }
    let shapes = operands.map(\.shape)
    guard let rank = shapes.first??.rank, shapes.allSatisfy({ $0?.rank == rank }),
      let axis = normalized(node.int("axis", default: 0), rank: rank)
    else { return (type, nil) }
    var dims: [Dim] = []
    for index in 0..<rank {
      let column = shapes.map { $0!.dims[index] }
      if index == axis {
        let sizes = column.compactMap(\.value)
        dims.append(sizes.count == column.count ? .fixed(sizes.reduce(0, +)) : .unknown)
      } else {
        dims.append(column.first { $0.value != nil } ?? column.first { $0 != .unknown } ?? .unknown)
      }
    }
    return (type, Shape(dims))
  }

  private static func squeezing(_ node: Node, _ operands: [Operand], opset: Int64) -> Result?? {
    guard let x = operands.first, let type = x.dataType else { return .some(nil) }
    guard let dims = x.shape?.dims else { return (type, nil) }
    let axes = opset >= 13 ? (operands.count > 1 ? operands[1].integers : nil) : node.ints("axes")
    if node.opType == "Squeeze" {
      guard let axes else {
        // Without axes every 1 goes; a non-static dim might be 1.
        guard dims.allSatisfy({ $0.value != nil }) else { return (type, nil) }
        return (type, Shape(dims.filter { $0 != .fixed(1) }))
      }
      let removed = Set(axes.compactMap { normalized($0, rank: dims.count) })
      guard removed.count == axes.count else { return (type, nil) }
      return (type, Shape(dims.enumerated().filter { !removed.contains($0.offset) }.map(\.element)))
    }
    guard let axes else { return (type, nil) }
    let rank = dims.count + axes.count
    let added = Set(axes.compactMap { normalized($0, rank: rank) })
    guard added.count == axes.count else { return (type, nil) }
    var rest = dims.makeIterator()
    return (type, Shape((0..<rank).map { added.contains($0) ? .fixed(1) : (rest.next() ?? .unknown) }))
  }

  private static func matMul(_ operands: [Operand]) -> Result?? {
    guard operands.count == 2, let type = operands[0].dataType else { return .some(nil) }
    guard var a = operands[0].shape?.dims, var b = operands[1].shape?.dims, !a.isEmpty, !b.isEmpty else {
      return (type, nil)
    }
    let vectorA = a.count == 1
    let vectorB = b.count == 1
    if vectorA { a.insert(.fixed(1), at: 0) }
    if vectorB { b.append(.fixed(1)) }
    guard let batch = broadcast([Shape(Array(a.dropLast(2))), Shape(Array(b.dropLast(2)))]) else {
      return (type, nil)
    }
    var dims = batch.dims
    if !vectorA { dims.append(a[a.count - 2]) }
    if !vectorB { dims.append(b[b.count - 1]) }
    return (type, Shape(dims))
  }

  private static func range(_ operands: [Operand]) -> Result?? {
    guard operands.count == 3, let type = operands[0].dataType else { return .some(nil) }
    func number(_ operand: Operand) -> Double? {
      guard let tensor = operand.constant, tensor.elementCount == 1 else { return nil }
      return tensor.integers().map { Double($0[0]) } ?? tensor.floatingPointValues()?.first
    }
    guard let start = number(operands[0]), let limit = number(operands[1]), let delta = number(operands[2]),
      delta != 0
    else { return (type, Shape([.unknown])) }
    let count = max(((limit - start) / delta).rounded(.up), 0)
    guard count < 1e15 else { return (type, Shape([.unknown])) }
    return (type, Shape(static: [Int64(count)]))
  }
}
