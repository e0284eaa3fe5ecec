// Overflow-checked size arithmetic for tensors whose dims come from untrusted files.

extension Tensor {
  /// The element count, or nil when a dim is negative or the count is so large that element,
  /// bit or byte arithmetic on it could overflow (a hostile file can claim any dims).
  public var checkedElementCount: Int64? {
    guard dims.allSatisfy({ $0 >= 0 }) else { return nil }
    if dims.contains(0) { return 0 }
    var count: Int64 = 1
    for size in dims {
      let (product, overflow) = count.multipliedReportingOverflow(by: size)
      guard !overflow, product <= Int64.max / 128 else { return nil }
      count = product
    }
    return count
  }

  /// The number of bits the elements occupy, or nil when the dims are not sane. No element
  /// type is wider than 128 bits, so the product cannot overflow.
  var checkedBitCount: Int64? {
    checkedElementCount.map { $0 * Int64(max(dataType.bitWidth, 1)) }
  }
}
