// Reading NumPy .npz archives (np.savez and np.savez_compressed) through ZIPFoundation.

import Foundation
import KilnIR
import KilnRuntime
import ZIPFoundation

/// A NumPy `.npz` file: a zip archive (stored or deflated) of `.npy` files, one per array, each
/// named after its key.
public enum NPZArchive {
  /// Every array in the `.npz` file at `path`, by key (the entry name without `.npy`). A file
  /// that is not a readable zip of `.npy` files is a `KilnError` naming it.
  public static func read(path: String) throws -> [String: HostTensor] {
    let archive: Archive
    do {
      archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
    } catch {
      throw KilnError.badInput("not a readable .npz (zip) file", file: path, hint: "write it with numpy.savez or numpy.savez_compressed")
    }
    var arrays: [String: HostTensor] = [:]
    for entry in archive where entry.type == .file {
      guard entry.path.hasSuffix(".npy") else {
        throw KilnError.badInput(".npz entry '\(entry.path)' is not a .npy file", file: path)
      }
      var bytes = Data()
      do {
        _ = try archive.extract(entry) { bytes.append($0) }
      } catch {
        throw KilnError.badInput("cannot read .npz entry '\(entry.path)': \(error)", file: path, hint: "the file may be truncated or corrupt")
      }
      arrays[String(entry.path.dropLast(4))] = try NPYFile.decode(bytes, file: "\(path):\(entry.path)")
    }
    return arrays
  }
}
