// The sample files of a folder: found recursively, in a fixed order.

import Foundation
import KilnIR

/// Lists the files of a folder and its subfolders whose extension is one of a set.
enum FolderListing {
  /// The paths relative to `folder` of the regular files ending in one of `extensions` (any
  /// case), sorted; `what` names the files in the error for an empty folder.
  static func files(in folder: String, extensions: Set<String>, what: String) throws -> [String] {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
      throw KilnError.badInput("not a folder", file: folder, hint: "give the folder that holds the \(what)")
    }
    guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
      throw KilnError.badInput("cannot list the folder", file: folder)
    }
    var names: [String] = []
    while let name = enumerator.nextObject() as? String {
      guard extensions.contains((name as NSString).pathExtension.lowercased()),
        enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular
      else { continue }
      names.append(name)
    }
    guard !names.isEmpty else {
      throw KilnError.badInput("the folder holds no \(what)", file: folder, hint: "files ending in \(extensions.sorted().map { "." + $0 }.joined(separator: ", ")) are read, in subfolders too")
    }
    return names.sorted()
  }

  /// `name` inside `folder`.
  static func path(_ name: String, in folder: String) -> String {
    (folder as NSString).appendingPathComponent(name)
  }
}
