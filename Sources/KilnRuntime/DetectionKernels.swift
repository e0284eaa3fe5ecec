// Object-detection post-processing: NonMaxSuppression and RoiAlign.

import Foundation
import KilnIR

extension KernelFamily {
  /// NonMaxSuppression (corner or center boxes, per batch and class, optional limits and
  /// thresholds) and RoiAlign (avg or max, half_pixel or output_half_pixel coordinates, fixed
  /// or adaptive sampling). Both compute in Double and follow the ONNX reference step by step.
  static let detection = KernelFamily { registry in
    registry.register("NonMaxSuppression", nonMaxSuppressionKernel)
    registry.register("RoiAlign", roiAlignKernel)
  }

  private static func nonMaxSuppressionKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let boxes = try invocation.input(0)
    let scores = try invocation.input(1)
    guard boxes.rank == 3, boxes.shape[2] == 4, scores.rank == 3,
      scores.shape[0] == boxes.shape[0], scores.shape[2] == boxes.shape[1]
    else {
      throw invocation.failure("needs boxes [B, N, 4] and scores [B, C, N], got \(boxes.shape) and \(scores.shape)")
    }
    let centerPointBox = invocation.int("center_point_box", default: 0)
    guard centerPointBox == 0 || centerPointBox == 1 else {
      throw invocation.failure("center_point_box must be 0 or 1, not \(centerPointBox)")
    }
    let limit = try nonEmptyInput(invocation, 2).map {
      max(try invocation.scalarInteger($0, named: "max_output_boxes_per_class"), 0)
    } ?? 0
    let iouThreshold = try nonEmptyInput(invocation, 3).map { try invocation.scalar($0, named: "iou_threshold") } ?? 0
    let scoreThreshold = try nonEmptyInput(invocation, 4).map { try invocation.scalar($0, named: "score_threshold") }
    let (batches, classes, count) = (boxes.shape[0], scores.shape[1], boxes.shape[1])
    let boxValues = try invocation.floatingValues(of: boxes)
    let scoreValues = try invocation.floatingValues(of: scores)
    guard count > 0 else { return [try HostTensor(zeros: .int64, shape: [0, 3])] }
    var selected: [Int64] = []
    for batch in 0..<batches {
      let corners = (0..<count).map { box in
        let start = (batch * count + box) * 4
        return BoxCorners(Array(boxValues[start..<start + 4]), centered: centerPointBox == 1)
      }
      for classIndex in 0..<classes {
        let start = (batch * classes + classIndex) * count
        let kept = suppress(
          Array(scoreValues[start..<start + count]), corners,
          limit: limit, iouThreshold: iouThreshold, scoreThreshold: scoreThreshold)
        for box in kept { selected += [Int64(batch), Int64(classIndex), Int64(box)] }
      }
    }
    return [try HostTensor(shape: [selected.count / 3, 3], values: selected)]
  }

  /// Optional input `index`; nil when it is absent or empty.
  private static func nonEmptyInput(_ invocation: KernelInvocation, _ index: Int) -> HostTensor? {
    invocation.optionalInput(index).flatMap { $0.elementCount > 0 ? $0 : nil }
  }

  /// Greedy suppression within one class: boxes above the score threshold, best score first
  /// (ties: lower index first), each kept unless it overlaps a kept box by more than the IoU
  /// threshold, until `limit` are kept.
  private static func suppress(
    _ scores: [Double], _ corners: [BoxCorners], limit: Int, iouThreshold: Double, scoreThreshold: Double?
  ) -> [Int] {
    let candidates = scores.indices.filter { box in scoreThreshold.map { scores[box] > $0 } ?? true }
    let ordered = candidates.sorted { first, second in
      let (a, b) = (scores[first], scores[second])
      if a.isNaN || b.isNaN { return a.isNaN == b.isNaN ? first < second : b.isNaN }
      return a != b ? a > b : first < second
    }
    var kept: [Int] = []
    for box in ordered where kept.count < limit {
      if !kept.contains(where: { corners[$0].intersectionOverUnion(corners[box]) > iouThreshold }) {
        kept.append(box)
      }
    }
    return kept
  }

  private static func roiAlignKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let rois = try invocation.input(1)
    let batchIndices = try invocation.intValues(of: try invocation.input(2))
    guard x.rank == 4, rois.rank == 2, rois.shape[1] == 4, batchIndices.count == rois.shape[0] else {
      throw invocation.failure("needs X [N, C, H, W], rois [R, 4] and R batch indices, got \(x.shape), \(rois.shape)")
    }
    let settings = try RoiAlignSettings(invocation)
    let (channels, height, width) = (x.shape[1], x.shape[2], x.shape[3])
    guard batchIndices.allSatisfy({ $0 >= 0 && $0 < x.shape[0] }) else {
      throw invocation.failure("batch indices \(batchIndices) are out of range for a batch of \(x.shape[0])")
    }
    guard rois.shape[0] == 0 || (height > 0 && width > 0) else {
      throw invocation.failure("cannot sample regions from an empty feature map \(x.shape)")
    }
    let data = try invocation.floatingValues(of: x)
    let boxes = try invocation.floatingValues(of: rois)
    let shape = [rois.shape[0], channels, settings.outputHeight, settings.outputWidth]
    let output = try HostTensor(zeros: .double, shape: shape)
    guard output.elementCount > 0 else { return [try castTensor(output, to: x.dataType, for: invocation)] }
    let values = output.mutableElements(as: Double.self)
    let cells = settings.outputHeight * settings.outputWidth
    for roi in 0..<rois.shape[0] {
      let region = Array(boxes[roi * 4..<roi * 4 + 4])
      let bins = try settings.bins(region: region, height: height, width: width, invocation)
      for channel in 0..<channels {
        let plane = (batchIndices[roi] * channels + channel) * height * width
        for (cell, samples) in bins.enumerated() {
          values[(roi * channels + channel) * cells + cell] = settings.pool(samples) { data[plane + $0] }
        }
      }
    }
    return [try castTensor(output, to: x.dataType, for: invocation)]
  }
}

extension KernelInvocation {
  /// The values of a floating-point tensor as Doubles; other element types are an error.
  func floatingValues(of tensor: HostTensor) throws -> [Double] {
    guard tensor.isFloatingPoint else {
      throw failure("needs a floating-point tensor, not \(tensor.dataType.name)")
    }
    return try doubleValues(of: tensor)
  }
}

/// A box as its extent on each axis. Corner boxes are [y1, x1, y2, x2] with either diagonal;
/// center boxes are [x_center, y_center, width, height].
private struct BoxCorners {
  let xMin, xMax, yMin, yMax: Double

  init(_ v: [Double], centered: Bool) {
    if centered {
      (xMin, xMax) = (v[0] - v[2] / 2, v[0] + v[2] / 2)
      (yMin, yMax) = (v[1] - v[3] / 2, v[1] + v[3] / 2)
    } else {
      (xMin, xMax) = (min(v[1], v[3]), max(v[1], v[3]))
      (yMin, yMax) = (min(v[0], v[2]), max(v[0], v[2]))
    }
  }

  /// Intersection over union; 0 when the boxes do not overlap or either has no area.
  func intersectionOverUnion(_ other: BoxCorners) -> Double {
    let width = min(xMax, other.xMax) - max(xMin, other.xMin)
    let height = min(yMax, other.yMax) - max(yMin, other.yMin)
    guard width > 0, height > 0 else { return 0 }
    let intersection = width * height
    let area = (xMax - xMin) * (yMax - yMin)
    let otherArea = (other.xMax - other.xMin) * (other.yMax - other.yMin)
    let union = area + otherArea - intersection
    guard area > 0, otherArea > 0, union > 0 else { return 0 }
    return intersection / union
  }
}

/// One bilinear sample of a feature-map plane: four element offsets and their weights
/// (all zero for a sample too far outside the plane).
private struct BilinearSample {
  let offsets: SIMD4<Int>
  let weights: SIMD4<Double>

  /// The four weighted terms of the sample, given a plane reader.
  func terms(_ read: (Int) -> Double) -> SIMD4<Double> {
    weights * SIMD4(read(offsets[0]), read(offsets[1]), read(offsets[2]), read(offsets[3]))
  }
}

/// RoiAlign attributes, and the sampling of one region into output bins.
private struct RoiAlignSettings {
  /// Regions needing more samples than this are refused.
  static let sampleLimit = 1 << 22
  let outputHeight: Int
  let outputWidth: Int
  let samplingRatio: Int
  let spatialScale: Double
  let maxMode: Bool
  let halfPixel: Bool

  init(_ invocation: KernelInvocation) throws {
    outputHeight = invocation.int("output_height", default: 1)
    outputWidth = invocation.int("output_width", default: 1)
    samplingRatio = invocation.int("sampling_ratio", default: 0)
    spatialScale = Double(invocation.float("spatial_scale", default: 1))
    guard outputHeight > 0, outputWidth > 0, samplingRatio >= 0 else {
      throw invocation.failure("output sizes must be positive and sampling_ratio non-negative")
    }
    let mode = invocation.string("mode", default: "avg")
    guard mode == "avg" || mode == "max" else { throw invocation.failure("mode \(mode) is not avg or max") }
    maxMode = mode == "max"
    // Opset 16 added the attribute; earlier RoiAlign behaves as output_half_pixel.
    let transform = invocation.opset < 16
      ? "output_half_pixel" : invocation.string("coordinate_transformation_mode", default: "half_pixel")
    guard transform == "half_pixel" || transform == "output_half_pixel" else {
      throw invocation.failure("coordinate_transformation_mode \(transform) is not supported")
    }
    halfPixel = transform == "half_pixel"
  }

  /// For each output bin (row-major), its bilinear samples.
  func bins(region: [Double], height: Int, width: Int, _ invocation: KernelInvocation) throws -> [[BilinearSample]] {
    let offset = halfPixel ? 0.5 : 0
    let corners = region.map { $0 * spatialScale - offset }
    guard corners.allSatisfy(\.isFinite) else { throw invocation.failure("region \(region) is not finite") }
    var (regionWidth, regionHeight) = (corners[2] - corners[0], corners[3] - corners[1])
    if !halfPixel { (regionWidth, regionHeight) = (max(regionWidth, 1), max(regionHeight, 1)) }
    let binHeight = regionHeight / Double(outputHeight)
    let binWidth = regionWidth / Double(outputWidth)
    let gridHeight = try gridSize(binHeight, invocation)
    let gridWidth = try gridSize(binWidth, invocation)
    guard try HostTensor.elementCount(of: [outputHeight, outputWidth, gridHeight, gridWidth]) <= Self.sampleLimit else {
      throw invocation.failure("region \(region) needs too many samples")
    }
    return (0..<outputHeight).flatMap { row in
      (0..<outputWidth).map { column in
        (0..<gridHeight).flatMap { sampleRow in
          let y = corners[1] + Double(row) * binHeight + (Double(sampleRow) + 0.5) * binHeight / Double(gridHeight)
          return (0..<gridWidth).map { sampleColumn in
            let x = corners[0] + Double(column) * binWidth + (Double(sampleColumn) + 0.5) * binWidth / Double(gridWidth)
            return Self.sample(y: y, x: x, height: height, width: width)
          }
        }
      }
    }
  }

  /// Samples per bin along one axis: the sampling ratio, or the bin size rounded up.
  private func gridSize(_ binSize: Double, _ invocation: KernelInvocation) throws -> Int {
    if samplingRatio > 0 { return samplingRatio }
    let size = binSize.rounded(.up)
    guard size <= Double(Self.sampleLimit) else { throw invocation.failure("a region needs too many samples") }
    return max(Int(size), 0)
  }

  /// The bilinear sample at (y, x), clamped to the plane; no weight beyond one pixel outside.
  private static func sample(y: Double, x: Double, height: Int, width: Int) -> BilinearSample {
    guard y >= -1, y <= Double(height), x >= -1, x <= Double(width) else {
      return BilinearSample(offsets: .zero, weights: .zero)
    }
    let (yLow, yHigh, ly) = axisTaps(max(y, 0), height)
    let (xLow, xHigh, lx) = axisTaps(max(x, 0), width)
    return BilinearSample(
      offsets: SIMD4(yLow * width + xLow, yLow * width + xHigh, yHigh * width + xLow, yHigh * width + xHigh),
      weights: SIMD4((1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx))
  }

  /// The two neighbours of `position` on an axis of `length` and the weight of the upper one.
  private static func axisTaps(_ position: Double, _ length: Int) -> (Int, Int, Double) {
    let low = Int(position)
    guard low < length - 1 else { return (length - 1, length - 1, 0) }
    return (low, low + 1, position - Double(low))
  }

  /// A bin's value: the mean of its samples, or in max mode the largest weighted term of any
  /// sample (as the reference computes it).
  func pool(_ samples: [BilinearSample], _ read: (Int) -> Double) -> Double {
    guard maxMode else {
      return samples.reduce(0) { $0 + $1.terms(read).sum() } / Double(max(samples.count, 1))
    }
    return samples.map { $0.terms(read).max() }.max() ?? 0
  }
}
