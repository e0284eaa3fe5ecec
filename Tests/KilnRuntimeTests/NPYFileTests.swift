// .npy files: numpy's exact bytes, every element type, other versions, and malformed files.

import Foundation
import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

/// A `.npy` file with `header` (padded as numpy pads it) and `data`.
private func npy(_ header: String, _ data: [UInt8], version: UInt8 = 1) -> Data {
  let lengthBytes = version == 1 ? 2 : 4
  var text = header
  while (8 + lengthBytes + text.utf8.count + 1) % 64 != 0 { text += " " }
  text += "\n"
  let length = text.utf8.count
  let prefix: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
  return Data(prefix + (0..<lengthBytes).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + Array(text.utf8) + data)
}

private func dict(_ descr: String, _ shape: String, fortran: String = "False") -> String {
  "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
}

/// Expects decoding `data` to fail as bad input naming the file and saying `saying`.
private func expectBadInput(_ data: Data, saying text: String, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(sourceLocation: sourceLocation) {
    _ = try NPYFile.decode(data, file: "in.npy")
  } throws: { error in
    guard let error = error as? KilnError else { return false }
    return error.kind == .badInput && error.file == "in.npy" && error.description.contains(text)
  }
}

@Suite struct NPYFileTests {
  /// What `numpy.save` writes for `np.array([[1, 2, 3], [4, 5, 6]], dtype='<f4')`.
  static let numpyFloats = npy(dict("<f4", "(2, 3)"), Array(littleEndianBytes([Float(1), 2, 3, 4, 5, 6])))

  @Test func readsWhatNumpyWrites() throws {
    #expect(Self.numpyFloats.count == 152)
    let tensor = try NPYFile.decode(Self.numpyFloats, file: "in.npy")
    #expect(tensor.dataType == .float)
    #expect(tensor.shape == [2, 3])
    #expect(tensor.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
  }

  @Test func writesWhatNumpyWrites() throws {
    try withTemporaryFolder { folder in
      let path = folder.file("out.npy")
      try NPYFile.write(try HostTensor(shape: [2, 3], values: [Float(1), 2, 3, 4, 5, 6]), to: path)
      #expect(try fileBytes(path) == Self.numpyFloats)
      #expect(try folder.contents() == ["out.npy"])
    }
  }

  @Test func scalarsAndVectorsUseNumpysTupleSyntax() throws {
    let scalar = try NPYFile.encodeHeader(try HostTensor(scalar: Int64(5)))
    #expect(String(decoding: scalar.dropFirst(10), as: UTF8.self).hasPrefix(dict("<i8", "()")))
    let vector = try NPYFile.encodeHeader(try HostTensor(shape: [2], values: [true, false]))
    #expect(String(decoding: vector.dropFirst(10), as: UTF8.self).hasPrefix(dict("|b1", "(2,)")))
    #expect(scalar.count % 64 == 0 && vector.count % 64 == 0)
  }

  @Test func everyElementTypeRoundTrips() throws {
    let tensors: [HostTensor] = [
      try HostTensor(shape: [2], values: [Float(1.5), -2]),
      try HostTensor(shape: [2], values: [Double(1.5), -2]),
      try HostTensor(shape: [2], values: [Float16(1.5), -2]),
      try HostTensor(shape: [2], values: [Int8(-1), 2]),
      try HostTensor(shape: [2], values: [UInt8(255), 2]),
      try HostTensor(shape: [2], values: [Int16(-1), 2]),
      try HostTensor(shape: [2], values: [UInt16(65535), 2]),
      try HostTensor(shape: [2], values: [Int32(-1), 2]),
      try HostTensor(shape: [2], values: [UInt32.max, 2]),
      try HostTensor(shape: [1, 2], values: [Int64.min, Int64.max]),
      try HostTensor(shape: [2, 1], values: [UInt64.max, 2]),
      try HostTensor(shape: [2], values: [true, false]),
      try HostTensor(zeros: .float, shape: [0, 3]),
    ]
    try withTemporaryFolder { folder in
      for (index, tensor) in tensors.enumerated() {
        let path = folder.file("\(index).npy")
        try NPYFile.write(tensor, to: path)
        let back = try NPYFile.read(path: path)
        #expect(back.dataType == tensor.dataType && back.shape == tensor.shape)
        #expect(try fileBytes(path).dropFirst(128) == Data(bytes: tensor.buffer.pointer, count: tensor.buffer.byteCount))
      }
    }
  }

  @Test func readsVersionsTwoAndThree() throws {
    for version: UInt8 in [2, 3] {
      let tensor = try NPYFile.decode(npy(dict("<i4", "(3,)"), Array(littleEndianBytes([Int32(7), 8, 9])), version: version), file: "in.npy")
      #expect(tensor.scalars(as: Int32.self) == [7, 8, 9])
    }
  }

  @Test func acceptsOtherKeyOrdersAndQuotes() throws {
    let header = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"|u1\"}"
    let tensor = try NPYFile.decode(npy(header, [3, 4]), file: "in.npy")
    #expect(tensor.scalars(as: UInt8.self) == [3, 4])
  }

  @Test func booleanBytesOtherThanZeroAndOneReadAsTrue() throws {
    let tensor = try NPYFile.decode(npy(dict("|b1", "(2,)"), [0, 7]), file: "in.npy")
    #expect(tensor.scalars(as: Bool.self) == [false, true])
  }

  @Test func refusesFortranOrder() {
    expectBadInput(npy(dict("<f4", "(1,)", fortran: "True"), [0, 0, 0, 0]), saying: "Fortran")
  }

  @Test func refusesUnsupportedTypes() {
    expectBadInput(npy(dict(">f4", "(1,)"), [0, 0, 0, 0]), saying: "'>f4' is not supported")
    expectBadInput(npy(dict("<U3", "(1,)"), Array(repeating: 0, count: 12)), saying: "'<U3'")
    expectBadInput(npy(dict("<c8", "(1,)"), Array(repeating: 0, count: 8)), saying: "'<c8'")
  }

  @Test func refusesShortData() {
    expectBadInput(npy(dict("<f4", "(2, 3)"), Array(repeating: 0, count: 20)), saying: "truncated")
  }

  @Test func refusesMalformedFiles() {
    let cases: [(Data, String)] = [
      (Data(), "magic"),
      (Data("just text, not numpy".utf8), "magic"),
      (npy(dict("<f4", "(1,)"), [0, 0, 0, 0], version: 4), "version 4"),
      (npy(dict("<f4", "(1,)"), [0, 0, 0, 0]).prefix(40), "header is truncated"),
      (Data([0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0]), "header is truncated"),
      (npy("{'descr': '<f4', 'shape': (1,)}", [0, 0, 0, 0]), "fortran_order"),
      (npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}", [0, 0, 0, 0]), "True or False"),
      (npy(dict("<f4", "(-1,)"), [0, 0, 0, 0]), "dimension"),
      (npy(dict("<f4", "(1, x)"), [0, 0, 0, 0]), "dimension"),
      (npy(dict("<f4", "[1]"), [0, 0, 0, 0]), "expected '('"),
      (npy("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", [0, 0, 0, 0]), "malformed"),
      (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", [0, 0, 0, 0]), "unknown key"),
      (npy(dict("<f4", "(1,)").replacingOccurrences(of: "}", with: ""), [0, 0, 0, 0]), "malformed"),
    ]
    for (data, text) in cases { expectBadInput(data, saying: text) }
  }

  @Test func refusesShapesThatOverflow() {
    expectBadInput(npy(dict("<f4", "(4294967296, 4294967296, 4294967296)"), []), saying: "too many elements")
  }

  @Test func missingFilesNameThePath() throws {
    #expect {
      _ = try NPYFile.read(path: "/nonexistent/in.npy")
    } throws: { error in
      (error as? KilnError)?.file == "/nonexistent/in.npy"
    }
  }

  @Test func typesWithoutADescriptorAreNotWritten() throws {
    try withTemporaryFolder { folder in
      let tensor = HostTensor(dataType: .bfloat16, shape: [1], buffer: try TensorBuffer(byteCount: 2))
      #expect(throws: KilnError.self) { try NPYFile.write(tensor, to: folder.file("x.npy")) }
      #expect(try folder.contents().isEmpty)
    }
  }
}
