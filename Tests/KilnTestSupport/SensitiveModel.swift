// A small model with one layer made sensitive to int8 quantization, for sensitivity tests.

/// Conv → Relu → Conv → Relu → GlobalAveragePool → Flatten → Gemm (nodes unnamed), in ONNX's
/// text syntax, with activation ranges for inputs in [-1, 1) in which the second Conv's input
/// range is far too wide ([-1000, 1000] for values in [0, 1.2]): int8 rounds that input to
/// zero, so quantizing that Conv alone loses most of the output.
public enum SensitiveModel {
  public static let text = #"""
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 3, 4, 4] X) => (float[1, 3] Y) <
      float[4, 3, 1, 1] Wa = {0.5, -0.3, 0.2, -0.4, 0.6, 0.1, 0.3, 0.3, -0.5, -0.2, -0.1, 0.7},
      float[4] Ba = {0.1, 0.0, -0.1, 0.05},
      float[4, 4, 1, 1] Wb = {0.6, -0.2, 0.3, 0.1, -0.3, 0.5, 0.2, -0.4, 0.2, 0.2, -0.6, 0.5, 0.4, -0.5, 0.1, 0.3},
      float[4] Bb = {0.05, -0.05, 0.1, 0.0},
      float[3, 4] G = {0.5, -0.5, 0.3, 0.2, -0.2, 0.4, 0.6, -0.3, 0.3, 0.1, -0.4, 0.5},
      float[3] C = {0.1, -0.1, 0.0}> {
      A = Conv(X, Wa, Ba)
      R = Relu(A)
      B = Conv(R, Wb, Bb)
      S = Relu(B)
      P = GlobalAveragePool(S)
      F = Flatten(P)
      Y = Gemm<transB = 1>(F, G, C)
    }
    """#

  /// Activation ranges by tensor name, as a ranges file holds them; R's is far too wide.
  public static let rangesJSON = #"""
    {"X": {"min": -1, "max": 1}, "R": {"min": -1000, "max": 1000}, "F": {"min": 0, "max": 1.5}}
    """#

  /// The names sensitivity analysis gives the unnamed layers (`<op>_<first output>`).
  public static let layers = ["Conv_A", "Conv_B", "Gemm_Y"]
  /// The layer the wide range makes sensitive.
  public static let sensitiveLayer = "Conv_B"
}
