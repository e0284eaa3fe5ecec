// Kernels on the structure of (batched) matrices: Trilu, EyeLike and Det.

import KilnIR

extension KernelFamily {
  /// Trilu (keeps the upper or lower triangle of each matrix in the last two axes, shifted by
  /// the optional diagonal offset k; any element type), EyeLike (a 2-D identity with diagonal
  /// offset k, of the input's type or the dtype attribute) and Det (determinant of each
  /// [M, M] matrix in the last two axes, by LU decomposition with partial pivoting in Double).
  static let matrices = KernelFamily { registry in
    registry.register("Trilu", triluKernel)
    registry.register("EyeLike", eyeLikeKernel)
    registry.register("Det", determinantKernel)
  }

  private static func triluKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let data = try invocation.input(0)
    guard data.rank >= 2 else { throw invocation.failure("needs rank at least 2, got \(data.shape)") }
    let offset = try invocation.optionalInput(1).map { try singleInteger($0, invocation) } ?? 0
    let upper = invocation.int("upper", default: 1) != 0
    let (rows, columns) = (data.shape[data.rank - 2], data.shape[data.rank - 1])
    let size = try data.elementSize()
    let result = try HostTensor(zeros: data.dataType, shape: data.shape)
    let matrices = rows * columns == 0 ? 0 : data.elementCount / (rows * columns)
    for matrix in 0..<matrices {
      for row in 0..<rows {
        // Upper keeps columns with column - row >= k, lower those with column - row <= k.
        let kept = upper
          ? min(max(row + offset, 0), columns)..<columns
          : 0..<min(max(row + offset + 1, 0), columns)
        let start = ((matrix * rows + row) * columns + kept.lowerBound) * size
        (result.buffer.pointer + start).copyMemory(from: data.buffer.pointer + start, byteCount: kept.count * size)
      }
    }
    return [result]
  }

  private static func eyeLikeKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let input = try invocation.input(0)
    guard input.rank == 2 else { throw invocation.failure("needs a 2-D input, got \(input.shape)") }
    let dataType = invocation.node.attribute("dtype") != nil
      ? DataType(rawValue: Int32(truncatingIfNeeded: invocation.int("dtype", default: 0))) : input.dataType
    guard dataType.elementType != nil else {
      throw invocation.failure("cannot make an identity of element type \(dataType.name)")
    }
    let offset = invocation.int("k", default: 0)
    let (rows, columns) = (input.shape[0], input.shape[1])
    var values = [Double](repeating: 0, count: input.elementCount)
    for row in 0..<rows {
      let (column, overflow) = row.addingReportingOverflow(offset)
      if !overflow, (0..<columns).contains(column) { values[row * columns + column] = 1 }
    }
    return [try HostTensor.narrowing(values, to: dataType, shape: input.shape)]
  }

  private static func determinantKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard x.isFloatingPoint else {
      throw invocation.failure("needs a floating-point input, not \(x.dataType.name)")
    }
    guard x.rank >= 2, x.shape[x.rank - 1] == x.shape[x.rank - 2] else {
      throw invocation.failure("needs square matrices in the last two axes, got \(x.shape)")
    }
    let order = x.shape[x.rank - 1]
    let batchShape = Array(x.shape.dropLast(2))
    let values = try invocation.doubleValues(of: x)
    let determinants = (0..<batchShape.reduce(1, *)).map { matrix in
      determinant(Array(values[(matrix * order * order)..<((matrix + 1) * order * order)]), order: order)
    }
    return [try HostTensor.narrowing(determinants, to: x.dataType, shape: batchShape)]
  }

  /// The determinant of a row-major `order` × `order` matrix: the product of the pivots of
  /// its LU decomposition, negated once per row swap.
  private static func determinant(_ matrix: [Double], order: Int) -> Double {
    var lu = matrix
    var result = 1.0
    for column in 0..<order {
      let size = { (row: Int) in lu[row * order + column].magnitude }
      let pivotRow = (column..<order).max { size($0) < size($1) } ?? column
      let pivot = lu[pivotRow * order + column]
      guard pivot != 0 else { return 0 }
      if pivotRow != column {
        for index in 0..<order { lu.swapAt(pivotRow * order + index, column * order + index) }
        result = -result
      }
      result *= pivot
      for row in (column + 1)..<order {
        let factor = lu[row * order + column] / pivot
        for index in (column + 1)..<order { lu[row * order + index] -= factor * lu[column * order + index] }
      }
    }
    return result
  }

  /// The one integer a scalar or one-element tensor holds.
  private static func singleInteger(_ tensor: HostTensor, _ invocation: KernelInvocation) throws -> Int {
    let values = try tensor.integers(invocation)
    guard values.count == 1, let value = values.first else {
      throw invocation.failure("needs a single integer, got a tensor of shape \(tensor.shape)")
    }
    return value
  }
}
