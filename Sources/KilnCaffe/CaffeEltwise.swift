// Eltwise layers (SUM with coefficients, PROD, MAX) to ONNX Add, Mul and Max.

import KilnIR

/// Eltwise → a chain of Add (SUM; each input first scaled by its coefficient where that is not
/// 1), a chain of Mul (PROD), or one Max (MAX). Caffe's inputs all have one shape.
enum CaffeEltwise {
  static func eltwise(_ c: CaffeLayerContext) throws -> [Value] {
    guard c.inputs.count >= 2 else { throw KilnCaffeProblem("needs at least 2 bottom blobs, has \(c.inputs.count)") }
    let p = c.parameter.eltwiseParam
    let shape = c.shape()
    for index in c.inputs.indices where c.shape(index) != shape {
      throw KilnCaffeProblem("bottom \(index) has shape \(c.shape(index)), bottom 0 has \(shape)")
    }
    switch p.operation {
    case .sum: return [try sum(c, coefficients: p.coeff, shape: shape)]
    case .prod: return [chain("Mul", c.inputs, c, shape: shape)]
    case .max: return [c.emit("Max", c.inputs, shape: shape)]
    }
  }

  private static func sum(_ c: CaffeLayerContext, coefficients: [Float], shape: [Int]) throws -> Value {
    guard coefficients.isEmpty || coefficients.count == c.inputs.count else {
      throw KilnCaffeProblem("has \(coefficients.count) coefficients for \(c.inputs.count) bottom blobs")
    }
    let terms = c.inputs.enumerated().map { index, input in
      guard index < coefficients.count, coefficients[index] != 1 else { return input }
      return c.emit("Mul", [input, c.constant("coeff\(index)", [coefficients[index]], dims: [])], shape: shape)
    }
    return chain("Add", terms, c, shape: shape)
  }

  private static func chain(_ op: String, _ terms: [Value], _ c: CaffeLayerContext, shape: [Int]) -> Value {
    terms.dropFirst().reduce(terms[0]) { c.emit(op, [$0, $1], shape: shape) }
  }
}
