// BatchNormalization, InstanceNormalization and LayerNormalization on hand-computed cases.

import KilnIR
import KilnRuntime
import Testing

@Test func batchNormalizationAppliesPerChannelStatistics() throws {
  let x = try linearFloats([1, 2, 1, 1], [1, 2])
  let parameters = try [[1, 2], [0, 1], [0, 1], [1, 4]].map { try linearFloats([2], $0) }
  let y = try runLinearKernel("BatchNormalization", [x] + parameters, attributes: ["epsilon": .float(0)])[0]
  #expect(y?.scalars(as: Float.self) == [1, 2])
}

@Test func batchNormalizationInTrainingModeUsesBatchStatistics() throws {
  let x = try linearFloats([2, 1], [1, 3])
  let parameters = try [[1], [0], [0], [1]].map { try linearFloats([1], $0) }
  let outputs = try runLinearKernel(
    "BatchNormalization", [x] + parameters,
    attributes: ["epsilon": .float(0), "training_mode": .int(1), "momentum": .float(0.5)], outputs: 3)
  #expect(outputs[0]?.scalars(as: Float.self) == [-1, 1])
  #expect(outputs[1]?.scalars(as: Float.self) == [1])
  #expect(outputs[2]?.scalars(as: Float.self) == [1])
}

@Test func batchNormalizationRefusesWrongParameterShapes() throws {
  let x = try linearFloats([1, 2, 1, 1], [1, 2])
  let parameters = try [[1, 2], [0, 1], [0, 1], [1, 4, 5]].map { try linearFloats([$0.count], $0) }
  #expect(throws: KilnError.self) { try runLinearKernel("BatchNormalization", [x] + parameters) }
}

@Test func instanceNormalizationNormalizesEachChannel() throws {
  let y = try runLinearKernel(
    "InstanceNormalization", [try linearFloats([1, 1, 2], [1, 3]), try linearFloats([1], [1]), try linearFloats([1], [0])],
    attributes: ["epsilon": .float(0)])[0]
  #expect(y?.scalars(as: Float.self) == [-1, 1])
  #expect(throws: KilnError.self) {
    try runLinearKernel("InstanceNormalization", [try linearFloats([1, 2], [1, 3]), try linearFloats([2], [1, 1]), try linearFloats([2], [0, 0])])
  }
}

@Test func layerNormalizationReturnsMeanAndInverseDeviation() throws {
  let outputs = try runLinearKernel(
    "LayerNormalization", [try linearFloats([2, 2], [1, 3, 2, 6]), try linearFloats([2], [1, 1]), try linearFloats([2], [0, 1])],
    attributes: ["epsilon": .float(0)], outputs: 3)
  #expect(outputs[0]?.scalars(as: Float.self) == [-1, 2, -1, 2])
  #expect(outputs[1]?.shape == [2, 1])
  #expect(outputs[1]?.scalars(as: Float.self) == [2, 4])
  #expect(outputs[2]?.scalars(as: Float.self) == [1, 0.5])
}

@Test func layerNormalizationOverSeveralAxesWithBroadcastScale() throws {
  let y = try runLinearKernel(
    "LayerNormalization", [try linearFloats([1, 2, 2], [1, 1, 3, 3]), try linearFloats([1], [2])],
    attributes: ["epsilon": .float(0), "axis": .int(1)])[0]
  #expect(y?.scalars(as: Float.self) == [-2, -2, 2, 2])
}

@Test func layerNormalizationRefusesBadScaleAndAxis() throws {
  let x = try linearFloats([2, 2], [1, 3, 2, 6])
  #expect(throws: KilnError.self) { try runLinearKernel("LayerNormalization", [x, try linearFloats([3], [1, 1, 1])]) }
  #expect(throws: KilnError.self) {
    try runLinearKernel("LayerNormalization", [x, try linearFloats([2], [1, 1])], attributes: ["axis": .int(2)])
  }
}

@Test func lpNormalizationDividesByTheNormAlongAnAxis() throws {
  let x = try linearFloats([2, 2], [3, 1, 4, 1])
  let l2 = try runLinearKernel("LpNormalization", [x], attributes: ["axis": .int(0)])[0]
  #expect(l2?.scalars(as: Float.self) == [0.6, 0.70710677, 0.8, 0.70710677])
  let l1 = try runLinearKernel("LpNormalization", [x], attributes: ["p": .int(1)])[0]
  #expect(l1?.scalars(as: Float.self) == [0.75, 0.25, 0.8, 0.2])
  #expect(throws: KilnError.self) { try runLinearKernel("LpNormalization", [x], attributes: ["p": .int(3)]) }
}

@Test func meanVarianceNormalizationStandardizesOverTheAxes() throws {
  // Channel 0 holds [0, 2], channel 1 [4, 8]: both become [-1, 1].
  let x = try linearFloats([1, 2, 1, 2], [0, 2, 4, 8])
  let y = try runLinearKernel("MeanVarianceNormalization", [x])[0]
  #expect(close(y?.scalars(as: Float.self) ?? [], [-1, 1, -1, 1]))
  let rows = try runLinearKernel("MeanVarianceNormalization", [try linearFloats([2, 2], [1, 3, 5, 5])], attributes: ["axes": .ints([1])])[0]
  #expect(close(rows?.scalars(as: Float.self) ?? [], [-1, 1, 0, 0]))
  #expect(throws: KilnError.self) { try runLinearKernel("MeanVarianceNormalization", [try linearFloats([2, 2], [1, 2, 3, 4])]) }
}
