// Layers that move or regroup data without arithmetic: Concat, Slice, Split, Dropout, Flatten,
// Reshape, Permute, and Softmax.

import KilnIR

/// Concat → Concat, Slice → Split, Flatten and Reshape → Reshape to the static shape Caffe
/// computes, Permute → Transpose, Softmax → Softmax; Split and Dropout (identity at inference)
/// emit nothing: their tops are aliases of the bottom.
enum CaffeTensorLayers {
  static func concat(_ c: CaffeLayerContext) throws -> [Value] {
    guard !c.inputs.isEmpty else { throw KilnCaffeProblem("has no bottom blobs") }
    let p = c.parameter.concatParam
    var shape = c.shape()
    let axis = try c.axis(p.hasConcatDim && !p.hasAxis ? Int(p.concatDim) : Int(p.axis), rank: shape.count)
    for index in c.inputs.indices.dropFirst() {
      var other = c.shape(index)
      guard other.count == shape.count else { throw KilnCaffeProblem("bottom \(index) has shape \(other), bottom 0 has \(c.shape())") }
      let size = other[axis]
      other[axis] = shape[axis]
      guard other == shape else { throw KilnCaffeProblem("bottom \(index) has shape \(c.shape(index)), bottom 0 has \(c.shape())") }
      shape[axis] += size
    }
    if c.inputs.count == 1 { return c.inputs }
    return [c.emit("Concat", c.inputs, [.int("axis", axis)], shape: shape)]
  }

  /// Slice at `slice_point`s along `axis` (legacy `slice_dim`); without points the axis is
  /// cut into as many equal parts as there are tops.
  static func slice(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let p = c.parameter.sliceParam
    let input = c.shape()
    let axis = try c.axis(p.hasSliceDim && !p.hasAxis ? Int(p.sliceDim) : Int(p.axis), rank: input.count)
    let sizes = try sliceSizes(p.slicePoint.map { Int($0) }, length: input[axis], parts: c.layer.tops.count)
    if sizes.count == 1 { return c.inputs }
    let shapes = sizes.map { size in input.enumerated().map { $0.offset == axis ? size : $0.element } }
    return c.builder.node(
      "Split", name: c.layer.name, inputs: [c.inputs[0], c.constant("split", int64s: sizes)], attributes: [.int("axis", axis)],
      outputNames: c.layer.tops.map { "\(c.layer.name)/\($0)" }, shapes: shapes)
  }

  private static func sliceSizes(_ points: [Int], length: Int, parts: Int) throws -> [Int] {
    if points.isEmpty {
      guard parts > 0, length % parts == 0 else {
        throw KilnCaffeProblem("cannot cut an axis of \(length) into \(parts) equal slices")
      }
      return Array(repeating: length / parts, count: parts)
    }
    guard points.count + 1 == parts else {
      throw KilnCaffeProblem("has \(points.count) slice points for \(parts) tops (expected \(parts - 1))")
    }
    let bounds = [0] + points + [length]
    let sizes = zip(bounds, bounds.dropFirst()).map { $1 - $0 }
    guard sizes.allSatisfy({ $0 > 0 }) else {
      throw KilnCaffeProblem("slice points \(points) are not increasing inside an axis of \(length)")
    }
    return sizes
  }

  /// Split copies its bottom to every top: all tops are the bottom's value.
  static func split(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    return Array(repeating: c.inputs[0], count: c.layer.tops.count)
  }

  /// Dropout is the identity at inference (Caffe scales while training).
  static func dropout(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    return c.inputs
  }

  /// Flatten axes axis...end_axis into one.
  static func flatten(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let p = c.parameter.flattenParam
    let input = c.shape()
    let start = try c.axis(Int(p.axis), rank: input.count)
    let end = try c.axis(Int(p.endAxis), rank: input.count, field: "end_axis")
    guard start <= end else { throw KilnCaffeProblem("axis \(p.axis) comes after end_axis \(p.endAxis)") }
    let shape = Array(input[..<start]) + [input[start...end].reduce(1, *)] + Array(input[(end + 1)...])
    return [reshape(c, to: shape)]
  }

  /// Reshape: axes axis..<axis+num_axes become `shape`, where 0 copies the input's dim and
  /// one −1 takes what is left.
  static func reshape(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let p = c.parameter.reshapeParam
    let input = c.shape()
    let axis = Int(p.axis)
    let start = axis < 0 ? axis + input.count + 1 : axis
    let end = p.numAxes == -1 ? input.count : start + Int(p.numAxes)
    guard (0...input.count).contains(start), p.numAxes >= -1, (start...input.count).contains(end) else {
      throw KilnCaffeProblem("axis \(p.axis) and num_axes \(p.numAxes) are out of range for an input of rank \(input.count)")
    }
    var middle = try p.shape.dim.enumerated().map { index, dim -> Int in
      guard dim == 0 else { return Int(dim) }
      guard start + index < input.count else { throw KilnCaffeProblem("dim \(index) is 0 but the input has no axis \(start + index)") }
      return input[start + index]
    }
    let known = (input[..<start] + input[end...]).reduce(1, *) * middle.filter { $0 != -1 }.reduce(1, *)
    let total = input.reduce(1, *)
    let inferred = middle.indices.filter { middle[$0] == -1 }
    guard inferred.count <= 1, middle.allSatisfy({ $0 >= -1 }), known > 0 else {
      throw KilnCaffeProblem("shape \(p.shape.dim) is not a valid reshape (one −1 at most, no other negative dims)")
    }
    if let index = inferred.first { middle[index] = total / known }
    let shape = Array(input[..<start]) + middle + Array(input[end...])
    guard shape.reduce(1, *) == total else {
      throw KilnCaffeProblem("cannot reshape \(input) (\(total) values) to \(shape)")
    }
    return [reshape(c, to: shape)]
  }

  private static func reshape(_ c: CaffeLayerContext, to shape: [Int]) -> Value {
    c.emit("Reshape", [c.inputs[0], c.constant("shape", int64s: shape)], shape: shape)
  }

  /// Permute (SSD Caffe): `order` first, then the axes it leaves out in their order.
  static func permute(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let input = c.shape()
    let order = c.parameter.permuteParam.order.map { Int($0) }
    guard Set(order).count == order.count, order.allSatisfy({ $0 < input.count }) else {
      throw KilnCaffeProblem("order \(order) is not a permutation of the \(input.count) axes")
    }
    let perm = order + input.indices.filter { !order.contains($0) }
    return [c.emit("Transpose", [c.inputs[0]], [.ints("perm", perm)], shape: perm.map { input[$0] })]
  }

  static func softmax(_ c: CaffeLayerContext) throws -> [Value] {
    try c.requireInputs(1)
    let axis = try c.axis(Int(c.parameter.softmaxParam.axis), rank: c.shape().count)
    return [c.emit("Softmax", [c.inputs[0]], [.int("axis", axis)], shape: c.shape())]
  }
}
