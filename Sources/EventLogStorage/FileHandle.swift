// The thin system-call layer: every open, read, write, truncate, allocate,
// sync and map of libeventlog goes through these few functions, which retry
// EINTR once here, turn errno into an EventLogError naming the file, and give
// tests one place to inject faults (see FaultInjection).
import CEventLogShims
import Glibc

/// An open file descriptor and the path it was opened with. Closes on deinit.
/// Not thread-safe for `close`; every other method may be called from several
/// threads (they are positional system calls).
public final class FileHandle {
    public let path: String
    public let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    public static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(EventLogError) -> FileHandle {
        try FaultInjection.check(.open, path)
        var fd: Int32
        repeat { fd = Glibc.open(path, flags | O_CLOEXEC, mode) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .system("open", path: path, errno: errno) }
        return FileHandle(path: path, fd: fd)
    }

    public func size() throws(EventLogError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system("fstat", path: path, errno: errno) }
        return Int(st.st_size)
    }

    public func truncate(to length: Int) throws(EventLogError) {
        try FaultInjection.check(.truncate, path)
        var rc: Int32
        repeat { rc = ftruncate(fd, off_t(length)) } while rc != 0 && errno == EINTR
        guard rc == 0 else { throw .system("ftruncate to \(length) bytes", path: path, errno: errno) }
    }

    /// Reserves disk blocks for [offset, offset+length), so that later stores
    /// through a mapping cannot fail with SIGBUS on a full disk: ENOSPC shows
    /// up here, as an error, instead.
    public func allocate(offset: Int, length: Int) throws(EventLogError) {
        try FaultInjection.check(.allocate, path)
        let err = eventlog_fallocate(fd, off_t(offset), off_t(length))
        if err == EOPNOTSUPP {
            // Filesystems without fallocate: extend the file; ENOSPC may then
            // surface later, but those filesystems give us no better choice.
            if try size() < offset + length { try truncate(to: offset + length) }
            return
        }
        guard err == 0 else { throw .system("fallocate of \(length) bytes at \(offset)", path: path, errno: err) }
    }

    public func syncData() throws(EventLogError) {
        try FaultInjection.check(.sync, path)
        var rc: Int32
        repeat { rc = fdatasync(fd) } while rc != 0 && errno == EINTR
        guard rc == 0 else { throw .system("fdatasync", path: path, errno: errno) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(EventLogError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .system("read at byte \(offset + done)", path: path, errno: errno) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(EventLogError) {
        try FaultInjection.check(.write, path)
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .system("write at byte \(offset + done)", path: path, errno: errno) }
            done += n
        }
    }

    /// Maps `length` bytes from the start of the file, shared. The length may
    /// exceed the file size (to leave room for growth); touching pages beyond
    /// the end of the file is the caller's bug.
    public func map(length: Int, writable: Bool) throws(EventLogError) -> MappedRegion {
        try FaultInjection.check(.map, path)
        let protection = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        guard length > 0 else { return MappedRegion(base: nil, length: 0) }
        let p = mmap(nil, length, protection, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw .system("mmap of \(length) bytes", path: path, errno: errno) }
        return MappedRegion(base: p, length: length)
    }

    /// The first `length` bytes as one read-only run, safe to read even if
    /// another process shrinks the file meanwhile (a writer trimming its
    /// preallocated tail): the first `stableLength` bytes, which nobody cuts,
    /// are mapped; the rest is copied with pread into private memory at the
    /// following addresses. Touching a mapped page past the end of the file
    /// would be SIGBUS; a copy that comes up short just leaves zeros.
    public func mapStablePrefix(_ stableLength: Int, length: Int) throws(EventLogError) -> MappedRegion {
        try FaultInjection.check(.map, path)
        guard length > 0 else { return MappedRegion(base: nil, length: 0) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapped = min(max(stableLength, 0), length) / page * page
        let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { throw .system("mmap of \(length) bytes", path: path, errno: errno) }
        let region = MappedRegion(base: p, length: length)
        if mapped > 0 {
            let fixed = mmap(p, mapped, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0)
            guard fixed == p else { throw .system("mmap of \(mapped) bytes", path: path, errno: errno) }
        }
        _ = try read(into: UnsafeMutableRawBufferPointer(start: p + mapped, count: length - mapped), at: mapped)
        mprotect(p + mapped, length - mapped, PROT_READ)
        return region
    }
}

/// One mapping of a file; unmapped on deinit. Shared by whoever holds a
/// reference, so a cursor can keep reading a segment the writer rolled away
/// from or retention deleted: the pages stay valid while the region lives.
public final class MappedRegion: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer?
    public let length: Int

    init(base: UnsafeMutableRawPointer?, length: Int) {
        self.base = base
        self.length = length
    }

    deinit { if let base { munmap(base, length) } }

    /// The first `count` bytes as a read-only buffer.
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.upperBound <= length)
        return UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0) + range.lowerBound }, count: range.count)
    }
}

/// Which file a path named, as stat(2) tells.
public struct FileIdentity: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
}

/// Directory-level operations.
public enum FileSystem {
    public static func makeDirectory(_ path: String, mode: mode_t) throws(EventLogError) {
        try FaultInjection.check(.open, path)
        if mkdir(path, mode | 0o111) == 0 || errno == EEXIST { return }
        throw .system("mkdir", path: path, errno: errno)
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The device and inode `path` names now (following links), or nil if
    /// it names nothing: tells whether a directory was removed or replaced.
    public static func identity(of path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func listDirectory(_ path: String) throws(EventLogError) -> [String] {
        guard let dir = opendir(path) else { throw .system("opendir", path: path, errno: errno) }
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

    public static func rename(_ from: String, _ to: String) throws(EventLogError) {
        try FaultInjection.check(.rename, to)
        guard Glibc.rename(from, to) == 0 else { throw .system("rename from \(from)", path: to, errno: errno) }
    }

    public static func remove(_ path: String) throws(EventLogError) {
        try FaultInjection.check(.remove, path)
        guard unlink(path) == 0 || errno == ENOENT else { throw .system("unlink", path: path, errno: errno) }
    }

    /// Makes renames and creations in the directory durable.
    public static func syncDirectory(_ path: String) throws(EventLogError) {
        let dir = try FileHandle.open(path, flags: O_RDONLY | O_DIRECTORY)
        var rc: Int32
        repeat { rc = fsync(dir.fd) } while rc != 0 && errno == EINTR
        guard rc == 0 else { throw .system("fsync", path: path, errno: errno) }
    }
}
