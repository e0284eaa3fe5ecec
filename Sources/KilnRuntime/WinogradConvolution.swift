// Winograd F(4×4, 3×3) for 3×3 stride-1 Conv: 36 GEMMs over transformed tiles instead of im2col.

import CKilnKernels

/// A 2-D Conv with a 3×3 kernel, strides and dilations 1 and one group, computed with Winograd's
/// minimal filtering F(4×4, 3×3) (Lavin & Gray 2015): 36 multiplies per 4×4 output tile and
/// input channel instead of 144.
///
///     V[ξ][c][t] = (Bᵀ d B)[ξ]    for the 6×6 input patch d of tile t (stride 4) in channel c
///     U[ξ][m][c] = (G g Gᵀ)[ξ]    for the 3×3 kernel g of output channel m and channel c
///     M[ξ] = U[ξ] · V[ξ]           36 GEMMs, (M × C) · (C × tiles), U[ξ] packed once
///     y = Aᵀ M A + bias            per tile, cropped to the output plane, then the activation
///
/// Tiles of every image are numbered together and run in blocks (`blockTiles`), so that a
/// block's V and M stay in cache between the transforms and the GEMMs. In each block the input
/// transform is split over threads by channels, the GEMMs by ξ, the output transform by output
/// channels.
struct WinogradConvolution {
  let grid: kiln_winograd_grid
  let images: Int
  let channels: Int
  let outputs: Int
  /// The tiles transformed, multiplied and transformed back together.
  let blockTiles: Int

  /// The 36 points ξ of a transformed 6×6 tile.
  static let points = 36

  /// Whether a Conv of `images` images with this geometry, group, C input and M output
  /// channels runs here: 2-D, 3×3, strides and dilations 1, one group, and large enough for
  /// the fewer multiplies to pay for the transforms.
  static func applies(to geometry: WindowGeometry, group: Int, images: Int, channels: Int, outputs: Int) -> Bool {
    guard geometry.input.count == 2, geometry.kernel == [3, 3], geometry.strides == [1, 1],
          geometry.dilations == [1, 1], group == 1 else { return false }
    let tiles = images * ((geometry.output[0] + 3) / 4) * ((geometry.output[1] + 3) / 4)
    return channels >= minimumChannels && outputs > 0 && tiles >= minimumTiles
  }

  /// The fewest input channels for which Winograd beats im2col. With one, each output is a
  /// single 9-term dot product and the transforms cost more (1 → 32 channels at 224×224:
  /// 1.1 ms im2col, 1.5 ms Winograd); from two on Winograd is as fast or faster (3 → 64 at
  /// 224×224: 4.5 → 3.8 ms, 8 → 8 at 14×14: 16 → 11 µs, 64 → 64 at 56×56: 3.0 → 0.85 ms).
  static let minimumChannels = 2
  /// The fewest tiles, over all images, for which Winograd beats im2col: a 14×14 output at
  /// batch 1 (ResNet's 256-channel stage: 2.9 → 1.0 ms). With fewer, each element of U, four
  /// times W's size, serves fewer multiply-adds than its trip from memory costs: ResNet-18's
  /// 7×7 512-channel stage made the whole model no faster at batch 1, though at batch 4 that
  /// Conv alone ran in 5.9 ms instead of 13.8 ms.
  static let minimumTiles = 16

  /// `blockTiles` nil takes as many tiles per block as keep one block's V and M within
  /// about `blockBytes`.
  init(geometry: WindowGeometry, images: Int, channels: Int, outputs: Int, blockTiles: Int? = nil) {
    let (height, width) = (geometry.output[0], geometry.output[1])
    grid = kiln_winograd_grid(
      input_height: geometry.input[0], input_width: geometry.input[1], pad_top: geometry.padsBegin[0],
      pad_left: geometry.padsBegin[1], output_height: height, output_width: width, tiles_wide: (width + 3) / 4)
    (self.images, self.channels, self.outputs) = (images, channels, outputs)
    let fitting = Self.blockBytes / (Self.points * (channels + outputs) * 4)
    self.blockTiles = max(1, blockTiles ?? max(Self.minimumBlockTiles, fitting / Self.tileStrip * Self.tileStrip))
  }

  /// U [36, M, C] from W [M, C, 3, 3] (float32), each U[ξ] packed for the GEMMs: 36 ×
  /// `PackedMatrix.count(rows: M, depth: C)` floats.
  static func transformWeights(_ w: HostTensor) throws -> HostTensor {
    let (m, c) = (w.shape[0], w.shape[1])
    let u = try HostTensor(uninitialized: .float, shape: [points, m, c])
    let source = w.elements(as: Float.self).baseAddress!, transformed = u.mutableElements(as: Float.self).baseAddress!
    kiln_winograd_weights(source, m * c, transformed, m * c)
    let count = PackedMatrix.count(rows: m, depth: c)
    let packed = try HostTensor(uninitialized: .float, shape: [points, count])
    let target = packed.mutableElements(as: Float.self).baseAddress!
    for point in 0..<points {
      PackedMatrix.pack(transformed + point * m * c, rows: m, depth: c, stride: c, into: target + point * count)
    }
    return packed
  }

  private var tilesPerImage: Int { (grid.output_height + 3) / 4 * grid.tiles_wide }

  /// The floats from one ξ's matrix to the next in V or M, for `rows` channels and `tiles`
  /// tiles: a cache line more than the matrix, so that the 36 matrices a transform step reads
  /// or writes do not share cache sets (as they would whenever the matrix size is a multiple
  /// of 4 KiB).
  private static func pointStride(rows: Int, tiles: Int) -> Int { rows * tiles + 16 }

  /// About the size of the L2 cache: measured best between 1 and 4 MiB (a 64-channel 112×112
  /// Conv ran in 6.0 ms unblocked, 4.2 ms at 1 MiB, 3.7-3.9 ms at 2-4 MiB).
  private static let blockBytes = 2 << 20
  private static let minimumBlockTiles = 32
  /// The columns of B that the packed GEMM multiplies together (a strip, zero-padded when
  /// short): blocks of a multiple of them leave only the convolution's last block padded.
  private static let tileStrip = 16

  /// y [N, M, output plane] = the convolution of x [N, C, input plane] with the transformed
  /// weights u (`transformWeights`), plus `bias`, then `activation`.
  func run(
    x: UnsafePointer<Float>, u: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, bias: [Float],
    activation: FusedActivation?, threads: Int
  ) throws {
    let total = images * tilesPerImage, block = min(blockTiles, total)
    guard total > 0 else { return }
    let v = try HostTensor(uninitialized: .float, shape: [Self.points * Self.pointStride(rows: channels, tiles: block)])
    let products = try HostTensor(
      uninitialized: .float, shape: [Self.points * Self.pointStride(rows: outputs, tiles: block)])
    defer { withExtendedLifetime((v, products)) {} }
    let baseV = v.buffer.pointer.assumingMemoryBound(to: Float.self)
    let baseProducts = products.buffer.pointer.assumingMemoryBound(to: Float.self)
    for first in stride(from: 0, to: total, by: block) {
      let tiles = first..<min(first + block, total)
      transformInput(x, tiles: tiles, into: baseV, threads: threads)
      multiply(u, baseV, into: baseProducts, tiles: tiles.count, threads: threads)
      transformOutput(baseProducts, tiles: tiles, into: y, bias: bias, activation: activation, threads: threads)
    }
  }

  /// V[ξ][c][t - tiles.lowerBound] for the block's tiles, which may span several images.
  private func transformInput(
    _ x: UnsafePointer<Float>, tiles: Range<Int>, into v: UnsafeMutablePointer<Float>, threads: Int
  ) {
    let plane = grid.input_height * grid.input_width, stride = Self.pointStride(rows: channels, tiles: tiles.count)
    parallelChunks(channels, threads: threads, grain: chunkGrain(perItemWork: Self.points * 8 * tiles.count)) { range in
      var grid = grid
      for channel in range {
        forEachImage(in: tiles) { image, local, offset in
          kiln_winograd_input(
            &grid, x + (image * channels + channel) * plane, local.lowerBound, local.count,
            v + channel * tiles.count + offset, stride)
        }
      }
    }
  }

  /// M[ξ] = U[ξ] · V[ξ] for the block's tiles, the 36 products split over threads.
  private func multiply(
    _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, into products: UnsafeMutablePointer<Float>, tiles: Int,
    threads: Int
  ) {
    let count = PackedMatrix.count(rows: outputs, depth: channels)
    let grain = chunkGrain(perItemWork: outputs * channels * tiles)
    parallelChunks(Self.points, threads: threads, grain: grain, perThread: 1) { points in
      PackedProduct.Workspace.with { workspace in
        for point in points {
          let product = PackedProduct(
            PackedMatrix(rows: outputs, depth: channels, values: u + point * count),
            b: v + point * Self.pointStride(rows: channels, tiles: tiles), bStride: tiles,
            c: products + point * Self.pointStride(rows: outputs, tiles: tiles), cStride: tiles)
          product.compute(rows: 0..<outputs, columns: 0..<tiles, workspace: workspace)
        }
      }
    }
  }

  /// The output planes' tiles of the block from M, with bias and activation.
  private func transformOutput(
    _ products: UnsafePointer<Float>, tiles: Range<Int>, into y: UnsafeMutablePointer<Float>, bias: [Float],
    activation: FusedActivation?, threads: Int
  ) {
    let plane = grid.output_height * grid.output_width, stride = Self.pointStride(rows: outputs, tiles: tiles.count)
    let (low, high) = (activation?.low ?? -.infinity, activation?.high ?? .infinity)
    parallelChunks(outputs, threads: threads, grain: chunkGrain(perItemWork: Self.points * 8 * tiles.count)) { range in
      var grid = grid
      for output in range {
        forEachImage(in: tiles) { image, local, offset in
          kiln_winograd_output(
            &grid, products + output * tiles.count + offset, stride, local.lowerBound, local.count, bias[output],
            low, high, y + (image * outputs + output) * plane)
        }
      }
    }
  }

  /// Splits a block's tiles by image: `body(image, tiles within that image, offset in the block)`.
  private func forEachImage(in tiles: Range<Int>, _ body: (Int, Range<Int>, Int) -> Void) {
    var first = tiles.lowerBound
    while first < tiles.upperBound {
      let image = first / tilesPerImage, start = first - image * tilesPerImage
      let end = min(tilesPerImage, tiles.upperBound - image * tilesPerImage)
      body(image, start..<end, first - tiles.lowerBound)
      first = (image + 1) * tilesPerImage
    }
  }
}
