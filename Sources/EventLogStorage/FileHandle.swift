// SPDX-License-Identifier: Apache-2.0
// The thin system-call layer: every open, read, write, truncate, allocate,
// sync and map of libeventlog goes through these few functions, which retry
// EINTR once here, turn errno into an EventLogError naming the file, and give
// tests one place to inject faults (see FaultInjection).
// Whoever can create a file in a log directory must not be able to steer the
// library with it, so a file of a log is opened only if it is a regular
// file: never through a symbolic link (O_NOFOLLOW; the writer would
// otherwise truncate and overwrite the link's target), and never a FIFO,
// whose open would wait forever for a peer (O_NONBLOCK until the type is
// checked), nor a directory or device.
import CEventLogShims
import Glibc

/// An open file descriptor and the path it was opened with. Closes on deinit.
/// Not thread-safe for `close`; every other method may be called from several
/// threads (they are positional system calls).
package final class FileHandle {
    package let path: String
    package let fd: Int32

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    /// Opens the regular file at `path` (see the file comment for what is
    /// refused, and with which error).
    package static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(EventLogError) -> FileHandle {
        try open(at: AT_FDCWD, path, path: path, flags: flags, mode: mode)
    }

    /// Opens the regular file `name` of the directory open as `directory`
    /// (openat); `path` names it in errors.
    static func open(at directory: Int32, _ name: String, path: String, flags: Int32, mode: mode_t)
        throws(EventLogError) -> FileHandle
    {
        try FaultInjection.check(.open, path)
        let fd = retryingEINTR { openat(directory, name, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode) }
        guard fd >= 0 else {
            // ELOOP (a link), EISDIR, ENXIO (a FIFO without a reader), or
            // EEXIST for O_EXCL: say what is in the way rather than the errno.
            throw openFailure(at: directory, name, path: path, errno: errno) { kindOfNonRegular($0) != nil }
        }
        let file = FileHandle(path: path, fd: fd)
        let st = try file.status()
        guard kindOfNonRegular(st) == nil else { throw notRegular(path, st) }
        if flags & O_NONBLOCK == 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return file
    }

    /// The error for an open of `name` in the directory open as `directory`
    /// that failed with `err`: what is there, if `isInTheWay` says it is
    /// the wrong kind of file, else the errno.
    static func openFailure(
        at directory: Int32, _ name: String, path: String, errno err: Int32, isInTheWay: (stat) -> Bool
    ) -> EventLogError {
        var st = stat()
        if err != ENOENT && fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && isInTheWay(st) {
            return notRegular(path, st)
        }
        return .system("open", path: path, errno: err)
    }

    /// The error for something in a log directory that is not a regular file.
    /// `corrupt`: the directory holds what no log writes there (eventlog.h).
    static func notRegular(_ path: String, _ st: stat) -> EventLogError {
        let kind = kindOfNonRegular(st) ?? "not a regular file"
        if st.st_mode & S_IFMT == S_IFLNK {
            return EventLogError(
                .corrupt, "\(path): is \(kind); libeventlog does not follow links inside a log directory")
        }
        return EventLogError(.corrupt, "\(path): not a regular file (\(kind))")
    }

    /// "a FIFO", "a directory", ... for what stat describes; nil for a
    /// regular file.
    static func kindOfNonRegular(_ st: stat) -> String? {
        switch st.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a FIFO"
        case S_IFDIR: return "a directory"
        case S_IFSOCK: return "a socket"
        default: return "a device"
        }
    }

    /// fstat(2).
    package func status() throws(EventLogError) -> stat {
        try FaultInjection.check(.stat, path)
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system("fstat", path: path, errno: errno) }
        return st
    }

    package func size() throws(EventLogError) -> Int { Int(try status().st_size) }

    /// The permission bits, for files that replace this one or sit beside it.
    package func permissions() throws(EventLogError) -> mode_t { try status().st_mode & 0o777 }

    /// Whether `path` still names this file (same device and inode): not
    /// removed, renamed away or replaced since the open.
    package func isStillAtPath() throws(EventLogError) -> Bool {
        let held = try status()
        guard let st = try? FileSystem.status(of: path) else { return false }
        return st.st_dev == held.st_dev && st.st_ino == held.st_ino
    }

    /// flock(2) LOCK_EX; without `wait`, false when another open file
    /// description holds the lock.
    package func lockExclusively(wait: Bool) throws(EventLogError) -> Bool {
        try FaultInjection.check(.lock, path)
        guard retryingEINTR({ flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) }) != 0 else { return true }
        guard errno == EWOULDBLOCK else { throw .system("flock", path: path, errno: errno) }
        return false
    }

    /// flock(2) LOCK_UN. A descriptor that a child being spawned by another
    /// thread still shares until its exec keeps a lock alive; unlocking ends
    /// it for every copy at once.
    package func unlock() { flock(fd, LOCK_UN) }

    package func truncate(to length: Int) throws(EventLogError) {
        try FaultInjection.check(.truncate, path)
        try checkSizeLimit(end: length, "ftruncate to \(length) bytes")
        guard retryingEINTR({ ftruncate(fd, off_t(length)) }) == 0 else {
            throw .system("ftruncate to \(length) bytes", path: path, errno: errno)
        }
    }

    /// Reserves disk blocks for [offset, offset+length), so that later stores
    /// through a mapping cannot fail with SIGBUS on a full disk: ENOSPC shows
    /// up here, as an error, instead.
    package func allocate(offset: Int, length: Int) throws(EventLogError) {
        try FaultInjection.check(.allocate, path)
        try checkSizeLimit(end: offset + length, "fallocate of \(length) bytes at \(offset)")
        let err = eventlog_fallocate(fd, off_t(offset), off_t(length))
        if err == EOPNOTSUPP {
            // Filesystems without fallocate: extend the file; ENOSPC may then
            // surface later, but those filesystems give us no better choice.
            if try size() < offset + length { try truncate(to: offset + length) }
            return
        }
        guard err == 0 else { throw .system("fallocate of \(length) bytes at \(offset)", path: path, errno: err) }
    }

    package func syncData() throws(EventLogError) {
        try FaultInjection.check(.sync, path)
        guard retryingEINTR({ fdatasync(fd) }) == 0 else { throw .system("fdatasync", path: path, errno: errno) }
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(EventLogError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = retryingEINTR { pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done)) }
            guard n >= 0 else { throw .system("read at byte \(offset + done)", path: path, errno: errno) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Up to `count` bytes from `offset`: fewer where the file ends.
    package func read(_ count: Int, at offset: Int) throws(EventLogError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try bytes.withUnsafeMutableBytes { raw in
            Result { () throws(EventLogError) in try read(into: raw, at: offset) }
        }.get()
        bytes.removeSubrange(n...)
        return bytes
    }

    package func write(_ bytes: [UInt8], at offset: Int) throws(EventLogError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(EventLogError) in try write(raw, at: offset) } }.get()
    }

    package func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(EventLogError) {
        try FaultInjection.check(.write, path)
        try checkSizeLimit(end: offset + bytes.count, "write at byte \(offset)")
        var done = 0
        while done < bytes.count {
            let n = retryingEINTR { pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            guard n > 0 else { throw .system("write at byte \(offset + done)", path: path, errno: errno) }
            done += n
        }
    }

    /// Refuses, with EFBIG (`noSpace`), to make the file reach past the
    /// process's RLIMIT_FSIZE: the kernel would first send SIGXFSZ, whose
    /// default action kills the process. Read anew each time, because the
    /// limit may be raised while the log is open, and appends must resume.
    private func checkSizeLimit(end: Int, _ operation: String) throws(EventLogError) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
            UInt64(end) > UInt64(limit.rlim_cur)
        else { return }
        throw .system("\(operation) (file size limit \(limit.rlim_cur) bytes)", path: path, errno: EFBIG)
    }

    /// Maps `length` bytes from the start of the file, shared. The length may
    /// exceed the file size (to leave room for growth); touching pages beyond
    /// the end of the file is the caller's bug.
    package func map(length: Int, writable: Bool) throws(EventLogError) -> MappedRegion {
        try FaultInjection.check(.map, path)
        guard length > 0 else { return MappedRegion(base: nil, length: 0) }
        let p = mmap(nil, length, writable ? (PROT_READ | PROT_WRITE) : PROT_READ, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw mapFailure(length, errno: errno) }
        return MappedRegion(base: p, length: length)
    }

    /// mmap's error, saying for ENOMEM what it most likely means here: not
    /// a lack of memory (a mapping reserves none) but of mappings, of which
    /// a process may hold at most vm.max_map_count.
    private func mapFailure(_ length: Int, errno err: Int32) -> EventLogError {
        let operation =
            err == ENOMEM
            ? "mmap of \(length) bytes (the process may be at its limit of mappings, "
                + "/proc/sys/vm/max_map_count)" : "mmap of \(length) bytes"
        return .system(operation, path: path, errno: err)
    }

    /// The whole file mapped read-only: for a file that nobody shrinks while
    /// it is read (a closed segment, or any file with the writer kept out).
    package func mapAll() throws(EventLogError) -> MappedRegion {
        try map(length: try size(), writable: false)
    }

    /// The first `length` bytes as one read-only run, safe to read even if
    /// another process shrinks the file meanwhile (a writer trimming its
    /// preallocated tail): the first `stableLength` bytes, which nobody cuts,
    /// are mapped; the rest is copied with pread into private memory at the
    /// following addresses. Touching a mapped page past the end of the file
    /// would be SIGBUS; a copy that comes up short just leaves zeros.
    package func mapStablePrefix(_ stableLength: Int, length: Int) throws(EventLogError) -> MappedRegion {
        try FaultInjection.check(.map, path)
        guard length > 0 else { return MappedRegion(base: nil, length: 0) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapped = min(max(stableLength, 0), length) / page * page
        let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { throw mapFailure(length, errno: errno) }
        let region = MappedRegion(base: p, length: length)
        if mapped > 0 {
            let fixed = mmap(p, mapped, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0)
            guard fixed == p else { throw mapFailure(mapped, errno: errno) }
        }
        _ = try read(into: UnsafeMutableRawBufferPointer(start: p + mapped, count: length - mapped), at: mapped)
        mprotect(p + mapped, length - mapped, PROT_READ)
        return region
    }
}

/// `call` made again for as long as it fails with EINTR (a signal arrived
/// before it did anything); its result.
@inline(__always)
func retryingEINTR<Result: BinaryInteger>(_ call: () -> Result) -> Result {
    var result: Result
    repeat { result = call() } while result < 0 && errno == EINTR
    return result
}

/// One mapping of a file; unmapped on deinit. Shared by whoever holds a
/// reference, so a cursor can keep reading a segment the writer rolled away
/// from or retention deleted: the pages stay valid while the region lives.
package final class MappedRegion: @unchecked Sendable {
    package let base: UnsafeMutableRawPointer?
    package let length: Int

    init(base: UnsafeMutableRawPointer?, length: Int) {
        self.base = base
        self.length = length
    }

    deinit { if let base { munmap(base, length) } }

    /// The bytes of `range` as a read-only buffer.
    package func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.upperBound <= length)
        return UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0) + range.lowerBound }, count: range.count)
    }

    /// Every mapped byte, read-only.
    package var all: UnsafeRawBufferPointer { bytes(0..<length) }
}

/// Which file a path named, as stat(2) tells.
package struct FileIdentity: Equatable, Sendable {
    package var device: UInt64
    package var inode: UInt64

    /// The file a stat(2) result describes.
    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}

/// Directory-level operations.
package enum FileSystem {
    package static func makeDirectory(_ path: String, mode: mode_t) throws(EventLogError) {
        try FaultInjection.check(.open, path)
        if mkdir(path, mode | 0o111) == 0 || errno == EEXIST { return }
        throw .system("mkdir", path: path, errno: errno)
    }

    /// stat(2) of `path`, or lstat(2) (the link itself) without `followingLinks`.
    package static func status(of path: String, followingLinks: Bool = true) throws(EventLogError) -> stat {
        try FaultInjection.check(.stat, path)
        var st = stat()
        guard (followingLinks ? stat(path, &st) : lstat(path, &st)) == 0 else {
            throw .system("stat", path: path, errno: errno)
        }
        return st
    }

    package static func isDirectory(_ path: String) -> Bool {
        (try? status(of: path)).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
    }

    /// The device and inode `path` names now (following links), or nil if
    /// it names nothing: tells whether a directory was removed or replaced.
    package static func identity(of path: String) -> FileIdentity? {
        (try? status(of: path)).map(FileIdentity.init)
    }

    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// A (small) file read with pread, whole or its first `limit` bytes, or
    /// nil if it does not exist.
    package static func readFile(_ path: String, upTo limit: Int? = nil) throws(EventLogError) -> [UInt8]? {
        try readFileAndIdentity(path, upTo: limit)?.bytes
    }

    /// `readFile`, and which file was read: a later `identity(of:)` tells
    /// whether the name was given to another file since.
    package static func readFileAndIdentity(_ path: String, upTo limit: Int? = nil) throws(EventLogError)
        -> (bytes: [UInt8], identity: FileIdentity)?
    {
        let file: FileHandle
        do { file = try FileHandle.open(path, flags: O_RDONLY) } catch  where error.code == .notFound { return nil }
        let status = try file.status()
        return (try file.read(limit ?? Int(status.st_size), at: 0), FileIdentity(status))
    }

    package static func listDirectory(_ path: String) throws(EventLogError) -> [String] {
        try DirectoryHandle.open(path).list()
    }

    package static func rename(_ from: String, _ to: String) throws(EventLogError) {
        try rename(at: AT_FDCWD, from, to, paths: (from, to))
    }

    package static func remove(_ path: String) throws(EventLogError) {
        try remove(at: AT_FDCWD, path, path: path)
    }

    /// Makes renames and creations in the directory durable.
    package static func syncDirectory(_ path: String) throws(EventLogError) {
        try DirectoryHandle.open(path).sync()
    }

    /// renameat(2) within the directory open as `directory`.
    static func rename(at directory: Int32, _ from: String, _ to: String, paths: (String, String))
        throws(EventLogError)
    {
        try FaultInjection.check(.rename, paths.1)
        guard renameat(directory, from, directory, to) == 0 else {
            throw .system("rename from \(paths.0)", path: paths.1, errno: errno)
        }
    }

    /// unlinkat(2); a name already gone is not an error.
    static func remove(at directory: Int32, _ name: String, path: String) throws(EventLogError) {
        try FaultInjection.check(.remove, path)
        guard unlinkat(directory, name, 0) == 0 || errno == ENOENT else {
            throw .system("unlink", path: path, errno: errno)
        }
    }
}
