// One writer per directory: an flock(2) on `eventlog.lock`, which holds the
// writer's pid for the error message of the next would-be writer. flock locks
// belong to the open file description, so a second writable open conflicts
// even inside the same process, and the kernel drops the lock when its holder
// dies: a crashed writer leaves no stale lock behind.
import Glibc

public final class WriterLock {
    public static let fileName = "eventlog.lock"
    private let file: FileHandle

    private init(file: FileHandle) { self.file = file }

    // Closing the descriptor is not enough: a child that another thread is
    // spawning shares the open file description (and so the lock) until its
    // exec closes it, and a writable open right after ours would then fail.
    // Unlocking ends the lock for every copy at once.
    deinit { release() }

    public static func acquire(directory: String, mode: mode_t) throws(EventLogError) -> WriterLock {
        let path = directory + "/" + fileName
        let file = try FileHandle.open(path, flags: O_RDWR | O_CREAT, mode: mode)
        var rc: Int32
        repeat { rc = flock(file.fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        if rc != 0 {
            let err = errno
            guard err == EWOULDBLOCK else { throw .system("flock", path: path, errno: err) }
            throw EventLogError(.busy, "\(directory): the log is open for writing by process \(holderPid(file))")
        }
        let pid = "\(getpid())\n"
        try file.truncate(to: 0)
        let bytes = Array(pid.utf8)
        try bytes.withUnsafeBytes { raw in Result { () throws(EventLogError) in try file.write(raw, at: 0) } }.get()
        return WriterLock(file: file)
    }

    /// Gives the lock up before the handle is freed (close of the log).
    public func release() {
        flock(file.fd, LOCK_UN)
    }

    private static func holderPid(_ file: FileHandle) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBytes { (try? file.read(into: $0, at: 0)) ?? 0 }
        let text = String(decoding: bytes[..<n], as: UTF8.self).filter { $0.isNumber }
        return text.isEmpty ? "(unknown pid)" : text
    }
}
