// Unique: the distinct elements or slices of a tensor, with where they occur and how often.

import KilnIR

extension KernelFamily {
  /// Unique over the flattened tensor or over slices along `axis`; sorted ascending
  /// (lexicographically for slices, NaN last and equal to NaN) or in order of first occurrence.
  /// Outputs Y, the first index of each, the inverse indices and the counts (int64).
  static let unique = KernelFamily { registry in
    registry.register("Unique", uniqueKernel)
  }

  private static func uniqueKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let axis = try invocation.node.attribute("axis").map { _ in
      try invocation.axis(invocation.int("axis", default: 0), rank: x.rank)
    }
    guard axis == nil || x.elementCount > 0 else {
      throw invocation.failure("cannot compare slices of an empty tensor \(x.shape)")
    }
    // Without an axis the flattened elements are the slices.
    let data = try axis.map { _ in x } ?? invocation.reshape(x, to: [x.elementCount])
    let sliceAxis = axis ?? 0
    let lanes = Lanes(shape: data.shape, axis: sliceAxis)
    let groups = try data.dataType.accept(UniqueGroups(tensor: data, lanes: lanes))
    let sorted = invocation.int("sorted", default: 1) != 0
    let ordered = sorted ? groups : groups.sorted { $0[0] < $1[0] }
    var inverse = [Int64](repeating: 0, count: lanes.length)
    for (position, group) in ordered.enumerated() {
      for slice in group { inverse[slice] = Int64(position) }
    }
    var shape = data.shape
    shape[sliceAxis] = ordered.count
    let y = try data.remapped(shape: shape) { dimension, position in
      dimension == sliceAxis ? ordered[position][0] : position
    }
    let outputs = [
      y, try HostTensor(shape: [ordered.count], values: ordered.map { Int64($0[0]) }),
      try HostTensor(shape: [inverse.count], values: inverse),
      try HostTensor(shape: [ordered.count], values: ordered.map { Int64($0.count) }),
    ]
    return Array(outputs.prefix(invocation.node.outputs.count))
  }
}

/// The slices of a tensor along the lanes' axis grouped by equal contents, groups in ascending
/// order and each group's slice positions ascending.
private struct UniqueGroups: NumericVisitor {
  let tensor: HostTensor
  let lanes: Lanes

  func visit<T: NumericElement>(_ type: T.Type) throws -> [[Int]] {
    let elements = tensor.elements(as: T.self)
    let slices = (0..<lanes.length).map { position in
      (0..<lanes.outer).flatMap { outer in (0..<lanes.inner).map { elements[lanes.index(outer, position, $0)] } }
    }
    let order = slices.indices.sorted { first, second in
      let comparison = Self.compare(slices[first], slices[second])
      return comparison != 0 ? comparison < 0 : first < second
    }
    var groups: [[Int]] = []
    for position in order {
      if let last = groups.last?.first, Self.compare(slices[last], slices[position]) == 0 {
        groups[groups.count - 1].append(position)
      } else {
        groups.append([position])
      }
    }
    return groups
  }

  /// Lexicographic three-way comparison of two slices.
  private static func compare<T: NumericElement>(_ a: [T], _ b: [T]) -> Int {
    for (left, right) in zip(a, b) {
      let comparison = compare(left, right)
      if comparison != 0 { return comparison }
    }
    return 0
  }

  /// Three-way comparison of two elements, NaN above every number and equal to NaN.
  private static func compare<T: NumericElement>(_ a: T, _ b: T) -> Int {
    let (aIsNaN, bIsNaN) = (a != a, b != b)
    if aIsNaN || bIsNaN { return aIsNaN == bIsNaN ? 0 : (aIsNaN ? 1 : -1) }
    return a < b ? -1 : (a == b ? 0 : 1)
  }
}
