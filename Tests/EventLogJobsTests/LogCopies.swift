// SPDX-License-Identifier: Apache-2.0
// Copies of a scratch log to compact in different ways, and their files
// read back to compare byte for byte.
import Foundation

enum LogCopies {
    /// `count` copies of the log directory `path`, named after it with `tag`.
    static func make(of path: String, count: Int, tag: String = "copy") throws -> [String] {
        try (0..<count).map { index in
            let copy = path + "-\(tag)\(index)"
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            return copy
        }
    }

    /// The files of the log directory `path` whose names pass `include`, by name.
    static func contents(_ path: String, include: (String) -> Bool) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where include(name) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
        }
        return files
    }
}
