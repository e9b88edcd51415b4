// One maintenance task per directory at a time: an flock(2) on
// `eventlog.maintenance.lock`, taken by compaction, by retention (the CLI's
// and the writer's after a roll) and by the recovery of interrupted swaps.
// It is separate from the writer lock on purpose: maintenance runs beside the
// writer, and must only keep out other maintenance. The file holds the
// holder's pid for messages. As with the writer lock, the kernel drops the
// lock when its holder dies, so a killed compaction leaves no stale lock.
import Glibc

public final class MaintenanceLock {
    public static let fileName = "eventlog.maintenance.lock"
    private let file: FileHandle

    private init(file: FileHandle) { self.file = file }

    deinit { flock(file.fd, LOCK_UN) }

    /// Takes the lock of `directory`. With `wait`, sleeps until it is free;
    /// without, returns nil when another task holds it.
    public static func acquire(directory: String, wait: Bool, mode: mode_t = 0o644) throws(EventLogError)
        -> MaintenanceLock?
    {
        let path = directory + "/" + fileName
        let file = try FileHandle.open(path, flags: O_RDWR | O_CREAT, mode: mode)
        var rc: Int32
        repeat { rc = flock(file.fd, LOCK_EX | (wait ? 0 : LOCK_NB)) } while rc != 0 && errno == EINTR
        if rc != 0 {
            let err = errno
            guard err == EWOULDBLOCK else { throw .system("flock", path: path, errno: err) }
            return nil
        }
        let pid = Array("\(getpid())\n".utf8)
        try file.truncate(to: 0)
        try pid.withUnsafeBytes { raw in Result { () throws(EventLogError) in try file.write(raw, at: 0) } }.get()
        return MaintenanceLock(file: file)
    }

    /// Takes the lock or fails with `busy`, naming the holder.
    public static func acquireOrFail(directory: String, wait: Bool) throws(EventLogError) -> MaintenanceLock {
        if let lock = try acquire(directory: directory, wait: wait) { return lock }
        throw EventLogError(
            .busy, "\(directory): maintenance (compaction or retention) is running in process \(holderPid(directory))")
    }

    private static func holderPid(_ directory: String) -> String {
        guard let file = try? FileHandle.open(directory + "/" + fileName, flags: O_RDONLY) else {
            return "(unknown pid)"
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBytes { (try? file.read(into: $0, at: 0)) ?? 0 }
        let text = String(decoding: bytes[..<n], as: UTF8.self).filter { $0.isNumber }
        return text.isEmpty ? "(unknown pid)" : text
    }
}
