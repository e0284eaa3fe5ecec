// Overflow-checked size arithmetic for tensors whose dims come from untrusted files.

extension Tensor {
  /// The number of bits the elements occupy, or nil when counting them overflows `Int64`.
  var checkedBitCount: Int64? {
    var count: Int64 = 1
    for size in dims + [Int64(max(dataType.bitWidth, 1))] {
      let (product, overflow) = count.multipliedReportingOverflow(by: size)
      guard !overflow, product >= 0 else { return nil }
      count = product
    }
    // byteCount(elements:) adds 7 before dividing.
    return count <= Int64.max - 7 ? count : nil
  }
}
