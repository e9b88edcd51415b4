// SPDX-License-Identifier: Apache-2.0
// A log directory held open. The writer opens, lists, renames and removes
// the files of its log relative to this descriptor (openat, renameat,
// unlinkat), so that once the log is open, renaming its directory away or
// putting another directory in its place cannot redirect the writer's next
// segment, index or cursor file: they go where the log's data already is.
// The writer lock is an flock of this descriptor (see WriterLock).
// Thread-safe: every method is a system call on an immutable descriptor.
import Glibc

package final class DirectoryHandle: @unchecked Sendable {
    let file: FileHandle
    /// The path it was opened with, for messages.
    package var path: String { file.path }

    private init(file: FileHandle) { self.file = file }

    /// Opens the directory at `path`, which may itself be reached through
    /// symbolic links (only links inside it are refused): unlike the files
    /// inside a log, it is the caller's argument.
    package static func open(_ path: String) throws(EventLogError) -> DirectoryHandle {
        let fd = retryingEINTR { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else {
            let err = errno
            if err == ENOTDIR { throw EventLogError(.invalidArgument, "\(path): not a directory") }
            throw .system("open", path: path, errno: err)
        }
        return DirectoryHandle(file: FileHandle(path: path, fd: fd))
    }

    /// Opens the directory `name` inside this one, which must be a real
    /// directory, not a link to one elsewhere.
    package func subdirectory(_ name: String) throws(EventLogError) -> DirectoryHandle {
        let path = child(name)
        let fd = openat(file.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw FileHandle.openFailure(at: file.fd, name, path: path, errno: errno) { $0.st_mode & S_IFMT != S_IFDIR }
        }
        return DirectoryHandle(file: FileHandle(path: path, fd: fd))
    }

    /// The path of `name` inside the directory, for messages.
    package func child(_ name: String) -> String { path + "/" + name }

    /// Opens the regular file `name` in the directory (never a link, FIFO or
    /// anything else; see FileHandle).
    package func open(_ name: String, flags: Int32, mode: mode_t = 0o644) throws(EventLogError) -> FileHandle {
        try FileHandle.open(at: file.fd, name, path: child(name), flags: flags, mode: mode)
    }

    /// The names in the directory, without "." and "..".
    package func list() throws(EventLogError) -> [String] {
        // A descriptor of its own: closedir closes it, and the listing starts
        // at the beginning whatever an earlier listing left behind.
        let fd = openat(file.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, let dir = fdopendir(fd) else {
            let err = errno
            if fd >= 0 { close(fd) }
            throw .system("opendir", path: path, errno: err)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// fstatat(2) of `name`, not following a link.
    package func status(of name: String) throws(EventLogError) -> stat {
        try FaultInjection.check(.stat, child(name))
        var st = stat()
        guard fstatat(file.fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .system("stat", path: child(name), errno: errno)
        }
        return st
    }

    package func rename(_ from: String, _ to: String) throws(EventLogError) {
        try FileSystem.rename(at: file.fd, from, to, paths: (child(from), child(to)))
    }

    package func remove(_ name: String) throws(EventLogError) {
        try FileSystem.remove(at: file.fd, name, path: child(name))
    }

    /// Makes renames and creations in the directory durable.
    package func sync() throws(EventLogError) {
        guard retryingEINTR({ fsync(file.fd) }) == 0 else { throw .system("fsync", path: path, errno: errno) }
    }
}
