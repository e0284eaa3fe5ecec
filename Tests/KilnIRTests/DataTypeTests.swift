// DataType: names, lookup by name, bit widths and packed byte counts.

import KilnIR
import KilnTestSupport
import Testing

@Test func knownTypesHaveNames() {
  #expect(DataType.float.name == "float32")
  #expect(DataType.double.name == "float64")
  #expect(DataType.float16.description == "float16")
  #expect(DataType.int4.name == "int4")
  #expect(DataType(name: "bfloat16") == .bfloat16)
  #expect(DataType(name: "float") == nil)
}

@Test func unknownTypesSurviveByNumber() {
  let future = DataType(rawValue: 99)
  #expect(!future.isKnown)
  #expect(future.name == "type<99>")
  #expect(future.byteCount(elements: 4) == nil)
}

@Test func byteCountsFollowTheRawLayout() {
  #expect(DataType.float.byteCount(elements: 3) == 12)
  #expect(DataType.int64.byteCount(elements: 2) == 16)
  #expect(DataType.bool.byteCount(elements: 5) == 5)
  #expect(DataType.complex128.byteCount(elements: 1) == 16)
  #expect(DataType.float.byteCount(elements: 0) == 0)
}

@Test func subByteTypesArePacked() {
  #expect(DataType.int4.bitWidth == 4)
  #expect(DataType.int4.byteCount(elements: 3) == 2)
  #expect(DataType.uint4.byteCount(elements: 4) == 2)
  #expect(DataType.int2.byteCount(elements: 5) == 2)
  #expect(DataType.float6e2m3.byteCount(elements: 4) == 3)
}

@Test func typesWithoutFixedWidthHaveNoByteCount() {
  #expect(DataType.string.byteCount(elements: 2) == nil)
  #expect(DataType.undefined.byteCount(elements: 1) == nil)
}

@Test func valueTypesDescribeThemselves() {
  #expect(tensorType("float32[N,3,?]").description == "float32[N,3,?]")
  #expect(ValueType.tensor(.int64, nil).description == "int64[*]")
  #expect(ValueType.sequence(.tensor(.float, Shape(static: [2]))).description == "seq<float32[2]>")
  #expect(Shape([.symbolic("N"), .fixed(3)]).elementCount == nil)
  #expect(Shape(static: [2, 3]).elementCount == 6)
}
