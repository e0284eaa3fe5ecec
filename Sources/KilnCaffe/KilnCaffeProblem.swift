// Why one layer cannot be converted; collected over the whole net and reported together.

/// A reason a layer cannot be converted. The reader gathers one per failing layer and throws
/// them all at once in a single `KilnError`, so the user sees every problem in one run.
struct KilnCaffeProblem: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
}
