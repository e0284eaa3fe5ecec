// The cfg parser: sections, options, comments and spacing, and errors that name their line.

import KilnIR
import Testing

@testable import KilnDarknet

@Suite("Darknet cfg parsing")
struct DarknetConfigTests {
  @Test("comments, blank lines, spacing and trailing comments are ignored; sections keep their lines")
  func parsesSectionsAndOptions() throws {
    let config = try DarknetConfig.parse(
      """
      # a model
      [net]
        width = 416\r
      height=416 ; inline comment
      ;channels=1
      channels=3

      [convolutional]
      filters=16   # sixteen
      activation = leaky
      [ Maxpool ]
      size=2
      """)
    #expect(config.net.type == "net")
    #expect(config.net.options.map(\.key) == ["width", "height", "channels"])
    #expect(try config.net.int("height", default: 0) == 416)
    #expect(try config.net.int("channels", default: 0) == 3)
    #expect(config.layers.map(\.type) == ["convolutional", "maxpool"])
    #expect(config.layers.map(\.line) == [8, 11])
    #expect(config.layers[0].option("filters") == DarknetOption(key: "filters", value: "16", line: 9))
    #expect(config.layers[0].string("activation", default: "") == "leaky")
  }

  @Test("lists are split on commas, with spaces around items")
  func parsesLists() throws {
    let config = try DarknetConfig.parse("[network]\n[yolo]\nmask = 3, 4,5\nanchors = 10,14,  23.5,27\n")
    #expect(try config.layers[0].ints("mask") == [3, 4, 5])
    #expect(try config.layers[0].floats("anchors") == [10, 14, 23.5, 27])
    #expect(try config.layers[0].ints("absent") == nil)
    #expect(try config.layers[0].int("classes", default: 20) == 20)
  }

  @Test(
    "bad lines are bad input naming their line",
    arguments: [
      ("[net]\nwidth=1\nheight\n", "line 3: expected key=value"),
      ("width=1\n[net]\n", "line 1: 'width=1' comes before the first [section]"),
      ("[net]\n[convolutional\n", "line 2: section header '[convolutional' must look like [name]"),
      ("[net]\n[]\n", "line 2: section header '[]' must look like [name]"),
      ("[net]\n=3\n", "line 2: option '=3' has no name"),
      ("[net]\nwidth=\n", "line 2: option 'width' has no value"),
      ("[net]\nwidth=1\n\nwidth=2\n", "line 4: option 'width' is given twice in one section (first on line 2)"),
      ("# only\n[convolutional]\nsize=1\n", "starts with a [net] section, this one with [convolutional] on line 2"),
      ("", "starts with a [net] section"),
    ])
  func badLines(text: String, message: String) {
    let error = #expect(throws: KilnError.self) { try DarknetConfig.parse(text) }
    #expect(error?.kind == .badInput)
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
  }

  @Test("a value of the wrong kind names the option and its line")
  func wrongKinds() throws {
    let layer = try DarknetConfig.parse("[net]\n[convolutional]\nfilters=a lot\nscale_x_y=1.05\nmask=1,x\n").layers[0]
    let integer = #expect(throws: KilnError.self) { try layer.int("filters", default: 1) }
    #expect(integer?.message == "line 3: filters=a lot is not an integer")
    #expect(try layer.float("scale_x_y", default: 1) == 1.05)
    let list = #expect(throws: KilnError.self) { try layer.ints("mask") }
    #expect(list?.message == "line 5: mask=1,x is not an integer")
  }
}
