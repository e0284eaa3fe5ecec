// What flows between nodes: a tensor, a sequence of tensors, or an optional value.

import KilnIR

/// A value the executor passes between nodes and in and out of graphs. Most ops take and
/// make tensors; ONNX sequence and optional values exist for the ops that build and read them
/// (SequenceConstruct, Optional, ...) and for If, Loop and Identity, which carry any value.
public indirect enum RuntimeValue: Sendable {
  case tensor(HostTensor)
  /// An ordered list of tensors, each with its own shape (all of one element type).
  case sequence([HostTensor])
  /// An optional value: nil when it holds nothing.
  case optional(RuntimeValue?)

  /// The tensor, when this is one.
  public var tensor: HostTensor? {
    if case .tensor(let tensor) = self { return tensor }
    return nil
  }

  /// The tensors, when this is a sequence.
  public var sequence: [HostTensor]? {
    if case .sequence(let tensors) = self { return tensors }
    return nil
  }

  /// What kind of value this is, for messages: "a tensor", "a sequence", "an optional".
  public var kindDescription: String {
    switch self {
    case .tensor: "a tensor"
    case .sequence: "a sequence"
    case .optional: "an optional"
    }
  }
}
