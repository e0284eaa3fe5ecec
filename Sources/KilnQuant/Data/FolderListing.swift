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
    let names = try regularFiles(in: folder).filter {
      extensions.contains(($0 as NSString).pathExtension.lowercased())
    }
    guard !names.isEmpty else {
      throw KilnError.badInput("the folder holds no \(what)", file: folder, hint: "files ending in \(extensions.sorted().map { "." + $0 }.joined(separator: ", ")) are read, in subfolders too")
    }
    return names.sorted()
  }

  /// The paths relative to `folder` of the regular files in it and its subfolders, in no
  /// particular order; symbolic links are not followed. Reads the directory entries' types
  /// (readdir) instead of asking Foundation for each file's attributes, which costs a
  /// stat and a dictionary per file: folders of thousands of samples list in milliseconds.
  private static func regularFiles(in folder: String, prefix: String = "") throws -> [String] {
    guard let directory = opendir(folder) else {
      throw KilnError.badInput("cannot list the folder: \(String(cString: strerror(errno)))", file: folder)
    }
    defer { closedir(directory) }
    var files: [String] = [], subfolders: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
      guard name != ".", name != ".." else { continue }
      switch entryType(entry.pointee.d_type, name: name, in: folder) {
      case DT_REG: files.append(prefix + name)
      case DT_DIR: subfolders.append(name)
      default: continue
      }
    }
    for name in subfolders {
      files += try regularFiles(in: path(name, in: folder), prefix: prefix + name + "/")
    }
    return files
  }

  /// The type of the directory entry `name` in `folder` (DT_REG, DT_DIR, ...), from lstat
  /// where the file system does not say.
  private static func entryType(_ type: UInt8, name: String, in folder: String) -> Int {
    guard Int(type) == DT_UNKNOWN else { return Int(type) }
    var status = stat()
    guard lstat(path(name, in: folder), &status) == 0 else { return DT_UNKNOWN }
    switch status.st_mode & S_IFMT {
    case S_IFREG: return DT_REG
    case S_IFDIR: return DT_DIR
    default: return DT_UNKNOWN
    }
  }

  /// `name` inside `folder`.
  static func path(_ name: String, in folder: String) -> String {
    (folder as NSString).appendingPathComponent(name)
  }
}
