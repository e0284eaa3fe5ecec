// Einsum: Einstein summation over labelled axes, contracted pairwise through sgemm.

import KilnIR

extension KernelFamily {
  /// Einsum with explicit (`->`) or implicit output, repeated labels within a term
  /// (diagonals), labels summed away, and `...` broadcasting (right-aligned; size-1 axes
  /// broadcast). Operands are reduced over labels no one else needs, then contracted left to
  /// right, each pair as a batched matrix product through sgemm. Float types only, computed in
  /// float32.
  static let einsum = KernelFamily { registry in
    registry.register("Einsum", einsumKernel)
  }

  private static func einsumKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let inputs = try invocation.inputs.indices.map { try invocation.input($0) }
    guard let dataType = inputs.first?.dataType, inputs.allSatisfy({ $0.dataType == dataType }) else {
      throw invocation.failure("needs inputs of one element type")
    }
    guard let equation = invocation.node.string("equation") else {
      throw invocation.failure("needs an equation")
    }
    let plan = try EinsumEquation(equation, shapes: inputs.map(\.shape), invocation)
    var operands = try zip(inputs, plan.inputLabels).map { input, labels in
      try EinsumOperand(diagonalOf: FloatTensors.toFloat(input, invocation), labels: labels, invocation)
    }
    let output = Set(plan.outputLabels)
    var result = operands.removeFirst()
    if operands.isEmpty { result = try result.reduced(keeping: output) }
    for (index, operand) in operands.enumerated() {
      let later = operands[(index + 1)...].reduce(output) { $0.union($1.labels) }
      result = try result.contracted(with: operand, keeping: later)
    }
    let ordered = try result.permuted(to: plan.outputLabels.filter(result.labels.contains))
    let shape = plan.outputLabels.map { plan.sizes[$0] ?? 1 }
    return [try FloatTensors.restore(try ordered.tensor.reshaped(shape), to: dataType, invocation)]
  }
}

/// A parsed Einsum equation: each input's label per axis (letters by their ASCII code, the axes
/// under `...` as 128 + their right-aligned broadcast position), the output labels, and the
/// size of every label.
struct EinsumEquation {
  let inputLabels: [[Int]]
  let outputLabels: [Int]
  let sizes: [Int: Int]

  private static let ellipsisBase = 128

  init(_ equation: String, shapes: [[Int]], _ invocation: KernelInvocation) throws {
    let text = equation.filter { !$0.isWhitespace }
    let sides = text.components(separatedBy: "->")
    guard sides.count <= 2 else { throw invocation.failure("equation \(equation) has more than one ->") }
    let terms = sides[0].components(separatedBy: ",").map { try? Self.term($0) }
    guard terms.count == shapes.count, terms.allSatisfy({ $0 != nil }) else {
      throw invocation.failure("equation \(equation) does not describe \(shapes.count) input(s)")
    }
    var ellipsisRank = 0
    for (term, shape) in zip(terms.compactMap { $0 }, shapes) {
      let covered = shape.count - term.letters.count
      guard covered >= 0, term.hasEllipsis || covered == 0 else {
        throw invocation.failure("term of equation \(equation) does not fit an input of rank \(shape.count)")
      }
      ellipsisRank = max(ellipsisRank, covered)
    }
    var inputLabels: [[Int]] = []
    var sizes: [Int: Int] = [:]
    for (term, shape) in zip(terms.compactMap { $0 }, shapes) {
      let covered = shape.count - term.letters.count
      let broadcast = (0..<covered).map { Self.ellipsisBase + ellipsisRank - covered + $0 }
      let labels = term.letters[..<term.ellipsisPosition] + broadcast + term.letters[term.ellipsisPosition...]
      for (label, size) in zip(labels, shape) {
        let known = sizes[label] ?? 1
        guard known == size || known == 1 || size == 1 else {
          throw invocation.failure("label sizes \(known) and \(size) conflict in \(equation)")
        }
        sizes[label] = known == 1 ? size : known
      }
      inputLabels.append(Array(labels))
    }
    let ellipsis = (0..<ellipsisRank).map { Self.ellipsisBase + $0 }
    if sides.count == 2 {
      guard let term = try? Self.term(sides[1]) else { throw invocation.failure("bad output term in \(equation)") }
      let labels = term.letters[..<term.ellipsisPosition] + ellipsis + term.letters[term.ellipsisPosition...]
      guard Set(labels).count == labels.count, labels.allSatisfy({ sizes[$0] != nil }) else {
        throw invocation.failure("output of \(equation) repeats a label or names one no input has")
      }
      outputLabels = Array(labels)
    } else {
      let letters = inputLabels.joined().filter { $0 < Self.ellipsisBase }
      let once = Set(letters).filter { label in letters.count(where: { $0 == label }) == 1 }
      outputLabels = ellipsis + once.sorted()
    }
    self.inputLabels = inputLabels
    self.sizes = sizes
  }

  /// One term's letters (as ASCII codes), whether it has `...`, and how many letters precede it.
  private static func term(_ text: String) throws -> (letters: [Int], hasEllipsis: Bool, ellipsisPosition: Int) {
    let parts = text.components(separatedBy: "...")
    guard parts.count <= 2 else { throw KilnError.badInput("more than one ellipsis") }
    let letters = try parts.joined().unicodeScalars.map { scalar in
      guard scalar.isASCII, scalar.properties.isAlphabetic else { throw KilnError.badInput("bad label") }
      return Int(scalar.value)
    }
    return (letters, parts.count == 2, parts.count == 2 ? parts[0].count : letters.count)
  }
}

/// A float32 tensor with one distinct label per axis, as Einsum combines them.
struct EinsumOperand {
  let labels: [Int]
  let tensor: HostTensor

  private init(labels: [Int], tensor: HostTensor) {
    self.labels = labels
    self.tensor = tensor
  }

  /// `input` (float32) under `labels`, one per axis: axes sharing a label become their
  /// diagonal (they must agree in size), and size-1 axes are dropped, so they broadcast.
  init(diagonalOf input: HostTensor, labels axisLabels: [Int], _ invocation: KernelInvocation) throws {
    var labels: [Int] = [], shape: [Int] = [], strides: [Int] = []
    let inputStrides = input.strides
    for (axis, label) in axisLabels.enumerated() where !labels.contains(label) {
      let axes = axisLabels.indices.filter { axisLabels[$0] == label }
      guard axes.allSatisfy({ input.shape[$0] == input.shape[axis] }) else {
        throw invocation.failure("axes labelled alike differ in size: \(input.shape)")
      }
      guard input.shape[axis] != 1 else { continue }
      labels.append(label)
      shape.append(input.shape[axis])
      strides.append(axes.reduce(0) { $0 + inputStrides[$1] })
    }
    self.init(labels: labels, tensor: try input.strided(shape: shape, strides: strides))
  }

  /// This operand with its axes in `order` (a permutation of its labels).
  func permuted(to order: [Int]) throws -> EinsumOperand {
    guard order != labels else { return self }
    let strides = tensor.strides
    let axes = order.compactMap { labels.firstIndex(of: $0) }
    let permuted = try tensor.strided(shape: axes.map { tensor.shape[$0] }, strides: axes.map { strides[$0] })
    return EinsumOperand(labels: order, tensor: permuted)
  }

  /// This operand summed over every label not in `kept`.
  func reduced(keeping kept: Set<Int>) throws -> EinsumOperand {
    let staying = labels.filter(kept.contains)
    guard staying.count < labels.count else { return self }
    let ordered = try permuted(to: staying + labels.filter { !kept.contains($0) })
    let shape = Array(ordered.tensor.shape.prefix(staying.count))
    let result = try HostTensor(zeros: .float, shape: shape)
    let source = ordered.tensor.elements(as: Float.self)
    let target = result.mutableElements(as: Float.self)
    let run = ordered.tensor.shape[staying.count...].reduce(1, *)
    for index in target.indices {
      target[index] = source[(index * run)..<((index + 1) * run)].reduce(0, +)
    }
    return EinsumOperand(labels: staying, tensor: result)
  }

  /// The product of this operand and `other` summed over the labels they share that are not
  /// in `kept`; labels in only one of them and not in `kept` are summed first. Computed as a
  /// batched [m, k]·[k, n] product, batch being the shared labels that stay.
  func contracted(with other: EinsumOperand, keeping kept: Set<Int>) throws -> EinsumOperand {
    let a = try reduced(keeping: kept.union(other.labels))
    let b = try other.reduced(keeping: kept.union(labels))
    let shared = a.labels.filter(b.labels.contains)
    let batch = shared.filter(kept.contains)
    let inner = shared.filter { !kept.contains($0) }
    let rows = a.labels.filter { !shared.contains($0) }
    let columns = b.labels.filter { !shared.contains($0) }
    let left = try a.permuted(to: batch + rows + inner)
    let right = try b.permuted(to: batch + inner + columns)
    let size = { (operand: EinsumOperand, labels: [Int]) in
      labels.reduce(1) { $0 * operand.tensor.shape[operand.labels.firstIndex(of: $1)!] }
    }
    let (batches, m, k, n) = (size(left, batch), size(left, rows), size(left, inner), size(right, columns))
    let shape = (batch + rows).map { left.tensor.shape[left.labels.firstIndex(of: $0)!] }
      + columns.map { right.tensor.shape[right.labels.firstIndex(of: $0)!] }
    let result = try HostTensor(zeros: .float, shape: shape)
    if m > 0, n > 0, k > 0, batches > 0,
      let pa = left.tensor.elements(as: Float.self).baseAddress,
      let pb = right.tensor.elements(as: Float.self).baseAddress,
      let pc = result.mutableElements(as: Float.self).baseAddress
    {
      for index in 0..<batches {
        try LinearAlgebra.sgemm(
          m: m, n: n, k: k, a: pa + index * m * k, b: pb + index * k * n, c: pc + index * m * n)
      }
    }
    return EinsumOperand(labels: batch + rows + columns, tensor: result)
  }
}
