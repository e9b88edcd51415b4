// SPDX-License-Identifier: Apache-2.0
// Log names: paths relative to the served root. A name never leaves the
// root: components ".", ".." and empty ones are refused outright, and the
// resolved directory (symbolic links followed) must still lie under the
// resolved root, so a link pointing out is refused too.
import Foundation
import Glibc

public struct LogNameError: Error, Sendable {
    public var message: String
}

public struct LogNames: Sendable {
    /// The root, resolved (no symbolic links, absolute).
    public let root: String

    public init(root: String) throws(LogNameError) {
        guard let resolved = Self.realPath(root) else {
            throw LogNameError(message: "\(root): no such directory")
        }
        self.root = resolved
    }

    /// The log name in a request path: its components (between the
    /// route's prefix and action) percent-decoded one by one, so that a
    /// client writes "team/orders" or "team%2Forders" and any character a
    /// URL must escape. A component whose escapes are not valid UTF-8 is
    /// refused, not taken as written.
    public static func fromPath(_ components: some Sequence<Substring>) throws(LogNameError) -> String {
        var decoded: [String] = []
        for component in components {
            guard let text = component.removingPercentEncoding else {
                throw LogNameError(message: "log name: '\(component)' is not valid percent-encoded UTF-8")
            }
            decoded.append(text)
        }
        return decoded.joined(separator: "/")
    }

    /// Checks `name` and returns the directory it names. With
    /// `mustExist: false` the directory may be missing (a log created on
    /// first append): then its nearest existing parent is checked instead.
    public func directory(for name: String, mustExist: Bool = true) throws(LogNameError) -> String {
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 1024 else {
            throw LogNameError(message: "log name: must be 1 to 1024 bytes")
        }
        for component in components {
            guard !component.isEmpty, component != ".", component != "..",
                !component.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\\") })
            else {
                throw LogNameError(
                    message: "log name '\(name)': components must be non-empty, not '.' or '..', without NUL or '\\'")
            }
        }
        let path = root + "/" + name
        var probe = path
        while Self.realPath(probe) == nil {
            guard !mustExist, let slash = probe.lastIndex(of: "/"), probe != root else {
                throw LogNameError(message: "log '\(name)': not found")
            }
            probe = String(probe[..<slash])
        }
        let resolved = Self.realPath(probe)!
        guard resolved == root || resolved.hasPrefix(root + "/") else {
            throw LogNameError(message: "log name '\(name)': leads outside the served root")
        }
        return probe == path ? resolved : path
    }

    /// Every directory under the root that holds a log (a segment file or
    /// the head file), by name, not following links and at most `depth`
    /// levels down.
    public func list(depth: Int = 4) -> [String] {
        var names: [String] = []
        func walk(_ relative: String, _ level: Int) {
            let path = relative.isEmpty ? root : root + "/" + relative
            let entries = Self.entries(path)
            if !relative.isEmpty, entries.contains(where: { $0.name == "eventlog.head" || $0.name.hasSuffix(".log") }) {
                names.append(relative)
            }
            guard level < depth else { return }
            for entry in entries where entry.isDirectory && !entry.name.hasPrefix(".") {
                walk(relative.isEmpty ? entry.name : relative + "/" + entry.name, level + 1)
            }
        }
        walk("", 0)
        return names.sorted()
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = Glibc.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func entries(_ path: String) -> [(name: String, isDirectory: Bool)] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var result: [(String, Bool)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            // d_type says DT_DIR only for a real directory: links are not followed.
            result.append((name, entry.pointee.d_type == UInt8(DT_DIR)))
        }
        return result
    }
}
