// The validation report as JUnit XML, so that CI systems show each threshold check as a test.

import Foundation
import KilnIR

extension ValidationReport {
  /// One `testsuite` named "kiln validate" with a `testcase` per threshold check; a failed
  /// check has a `failure` whose message names the metric, its value and the bound.
  public func junitXML() -> String {
    var lines = [
      #"<?xml version="1.0" encoding="UTF-8"?>"#,
      #"<testsuite name="kiln validate" tests="\#(checks.count)" failures="\#(failures.count)" errors="0">"#,
    ]
    for check in checks {
      let name = Markup.escaped("\(check.metric) of \(check.output)")
      let opening = #"  <testcase classname="kiln.validate" name="\#(name)""#
      if check.passed {
        lines.append(opening + "/>")
      } else {
        lines.append(opening + ">")
        lines.append(#"    <failure message="\#(Markup.escaped(check.message))"/>"#)
        lines.append("  </testcase>")
      }
    }
    lines.append("</testsuite>")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes `junitXML()` into `file` and commits it.
  public func writeJUnit(to file: AtomicOutputFile) throws {
    try file.write(Data(junitXML().utf8))
    try file.commit()
  }
}
