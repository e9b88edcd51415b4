// SPDX-License-Identifier: Apache-2.0
// Named cursors' stored positions: one small file per name under
// `cursors/` in the log directory, replaced atomically (write a temporary
// file, fdatasync, rename, fsync the directory) so that a consumer killed at
// any moment finds either its previous or its new position, never a torn one.
//
// File layout (little-endian, 32 bytes; Docs/FORMAT.md is normative):
//   0 u64 magic "ELCURS01"   8 i64 next offset to read   16 i64 commit time (ms)
//  24 u32 CRC-32C of bytes [0, 24)   28 u32 zero
internal import EventLogFormat
import Glibc

public struct CursorPosition: Equatable, Sendable {
    public var name: String
    public var nextOffset: Int64
    public var committedAt: Int64
}

package enum CursorStore {
    package static let directoryName = "cursors"
    static let magic: UInt64 = 0x3130_5352_5543_4C45  // "ELCURS01" little-endian
    static let size = 32

    /// Names are `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`: safe as file names, and
    /// unable to climb out of the directory.
    package static func validate(name: String) throws(EventLogError) {
        let bytes = Array(name.utf8)
        func isAlnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        guard (1...64).contains(bytes.count), isAlnum(bytes[0]),
            bytes.dropFirst().allSatisfy({ isAlnum($0) || $0 == 46 || $0 == 95 || $0 == 45 })
        else {
            throw EventLogError(
                .invalidArgument, "name: \"\(name)\" is not a cursor name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})")
        }
    }

    static func path(directory: String, name: String) -> String {
        directory + "/" + directoryName + "/" + name
    }

    /// The stored position of `name`, or nil if it was never committed.
    package static func load(directory: String, name: String) throws(EventLogError) -> CursorPosition? {
        try validate(name: name)
        let path = path(directory: directory, name: name)
        guard let bytes = try FileSystem.readFile(path, upTo: size) else { return nil }
        let position = bytes.withUnsafeBytes { raw -> CursorPosition? in
            guard raw.count == size, raw.load(fromByteOffset: 0, as: UInt64.self) == magic,
                raw.load(fromByteOffset: 24, as: UInt32.self)
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<24]))
            else { return nil }
            return CursorPosition(
                name: name, nextOffset: raw.load(fromByteOffset: 8, as: Int64.self),
                committedAt: raw.load(fromByteOffset: 16, as: Int64.self))
        }
        guard let position else {
            throw EventLogError(
                .corrupt, "\(path): not a valid cursor file (\(bytes.count) bytes, bad magic or checksum)")
        }
        // No cursor commits below offset 0; a file that says so was written
        // by something else, whatever its checksum.
        guard position.nextOffset >= 0 else {
            throw EventLogError(.corrupt, "\(path): next offset \(position.nextOffset) is negative")
        }
        return position
    }

    /// Stores `nextOffset` for `name`, atomically.
    package static func store(directory: String, name: String, nextOffset: Int64, mode: mode_t) throws(EventLogError) {
        try validate(name: name)
        let folder = directory + "/" + directoryName
        try FileSystem.makeDirectory(folder, mode: mode)
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: magic, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: nextOffset, toByteOffset: 8, as: Int64.self)
            raw.storeBytes(of: wallClockMilliseconds(), toByteOffset: 16, as: Int64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: raw.baseAddress, count: 24))
            raw.storeBytes(of: crc, toByteOffset: 24, as: UInt32.self)
        }
        // Through a descriptor of `cursors` itself: were it a link to
        // another directory, the rename would replace a file there.
        let cursors = try DirectoryHandle.open(directory).subdirectory(directoryName)
        let temporary = "." + name + ".tmp." + String(getpid())
        let file = try cursors.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        try file.write(bytes, at: 0)
        try file.syncData()
        try cursors.rename(temporary, name)
        try cursors.sync()
    }

    /// Removes the temporary files of commits whose process died before
    /// its rename (`.NAME.tmp.PID` with no process PID): each consumer
    /// killed mid-commit left one behind. A file whose pid is alive again
    /// (reused) is kept: it costs 32 bytes, and removing a live commit's
    /// file would fail it.
    package static func removeAbandonedTemporaries(directory: String) {
        let folder = directory + "/" + directoryName
        guard FileSystem.isDirectory(folder), let names = try? FileSystem.listDirectory(folder) else { return }
        for name in names where name.hasPrefix(".") {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 4, parts[parts.count - 2] == "tmp", let pid = Int32(parts[parts.count - 1]), pid > 0,
                kill(pid, 0) != 0 && errno == ESRCH
            else { continue }
            try? FileSystem.remove(folder + "/" + name)
        }
    }

    /// Every stored cursor, sorted by name.
    package static func list(directory: String) throws(EventLogError) -> [CursorPosition] {
        let folder = directory + "/" + directoryName
        guard FileSystem.isDirectory(folder) else { return [] }
        var result: [CursorPosition] = []
        for name in try FileSystem.listDirectory(folder).sorted() where !name.hasPrefix(".") {
            if let position = try load(directory: directory, name: name) { result.append(position) }
        }
        return result
    }

    /// Deletes the stored position of `name`.
    package static func delete(directory: String, name: String) throws(EventLogError) {
        try validate(name: name)
        let path = path(directory: directory, name: name)
        guard FileSystem.exists(path) else { throw EventLogError(.notFound, "\(path): no such named cursor") }
        try FileSystem.remove(path)
    }
}
