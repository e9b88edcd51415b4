// SPDX-License-Identifier: Apache-2.0
// One maintenance task per directory at a time: an flock(2) on
// `eventlog.maintenance.lock`, taken by compaction, by retention (the CLI's
// and the writer's after a roll) and by the recovery of interrupted swaps.
// It is separate from the writer lock on purpose: maintenance runs beside the
// writer, and must only keep out other maintenance. The file holds the
// holder's pid for messages. As with the writer lock, the kernel drops the
// lock when its holder dies, so a killed compaction leaves no stale lock.
// A lock file deleted or replaced between our open and our flock would be
// locked in vain, so after locking, the path must still name the locked file.
import Glibc

package final class MaintenanceLock {
    package static let fileName = "eventlog.maintenance.lock"
    private let file: FileHandle

    private init(file: FileHandle) { self.file = file }

    deinit { file.unlock() }

    /// Takes the lock of `directory`. With `wait`, sleeps until it is free;
    /// without, returns nil when another task holds it.
    package static func acquire(directory: String, wait: Bool, mode: mode_t = 0o644) throws(EventLogError)
        -> MaintenanceLock?
    {
        try attempt(directory: directory, wait: wait, mode: mode).lock
    }

    /// Takes the lock or fails with `busy`, naming the holder.
    package static func acquireOrFail(directory: String, wait: Bool) throws(EventLogError) -> MaintenanceLock {
        let attempt = try attempt(directory: directory, wait: wait, mode: 0o644)
        if let lock = attempt.lock { return lock }
        throw EventLogError(
            .busy, "\(directory): maintenance (compaction or retention) is running in process \(attempt.holder)")
    }

    /// The lock, or else the holder's pid, read from the file that could not
    /// be locked (not from a reopened path, which may name another file).
    private static func attempt(directory: String, wait: Bool, mode: mode_t) throws(EventLogError)
        -> (lock: MaintenanceLock?, holder: String)
    {
        let path = directory + "/" + fileName
        // Twice at most: a file swapped under one attempt is not swapped
        // again under the next unless someone does it on purpose, and then
        // the error says so.
        for _ in 0..<2 {
            let file = try FileHandle.open(path, flags: O_RDWR | O_CREAT, mode: mode)
            guard try file.lockExclusively(wait: wait) else { return (nil, PidFile.read(file)) }
            guard try file.isStillAtPath() else {
                file.unlock()
                continue
            }
            try PidFile.write(file)
            return (MaintenanceLock(file: file), "")
        }
        throw EventLogError(.busy, "\(path): the lock file was replaced while it was being locked")
    }
}
