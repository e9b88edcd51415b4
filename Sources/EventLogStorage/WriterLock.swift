// SPDX-License-Identifier: Apache-2.0
// One writer per directory: an flock(2) on the log directory itself, held
// through the writer's DirectoryHandle. A lock on a file inside the
// directory would end with that file: whoever deleted it could let a second
// writer in, which would overwrite the first one's records. The directory
// cannot be deleted while it holds the log, and after locking, the path is
// checked to still name the locked directory (a directory renamed away and
// replaced in between would otherwise be locked in vain).
// `eventlog.lock` only holds the writer's pid, for the error message of the
// next would-be writer. flock locks belong to the open file description, so
// a second writable open conflicts even inside the same process, and the
// kernel drops the lock when its holder dies: a crashed writer leaves no
// stale lock behind.
import Glibc

package final class WriterLock {
    package static let fileName = "eventlog.lock"
    /// The locked directory, through which the writer opens its files.
    package let folder: DirectoryHandle

    private init(folder: DirectoryHandle) { self.folder = folder }

    // Closing the descriptor is not enough: see FileHandle.unlock.
    deinit { release() }

    package static func acquire(directory: String, mode: mode_t) throws(EventLogError) -> WriterLock {
        let folder = try DirectoryHandle.open(directory)
        guard try folder.file.lockExclusively(wait: false) else {
            throw EventLogError(.busy, "\(directory): the log is open for writing by process \(holderPid(folder))")
        }
        let lock = WriterLock(folder: folder)
        guard try folder.file.isStillAtPath() else {
            throw EventLogError(.busy, "\(directory): the directory was replaced while it was being opened")
        }
        try PidFile.write(folder.open(fileName, flags: O_RDWR | O_CREAT, mode: mode))
        return lock
    }

    /// Gives the lock up before the handle is freed (close of the log).
    package func release() { folder.file.unlock() }

    /// From `eventlog.lock`, or if someone deleted it, from the head file,
    /// which the writer claims right after the lock.
    private static func holderPid(_ folder: DirectoryHandle) -> String {
        if let file = try? folder.open(fileName, flags: O_RDONLY) { return PidFile.read(file) }
        guard let head = HeadFile.openForReader(in: folder), head.writerPid > 0 else { return PidFile.unknown }
        return "\(head.writerPid)"
    }
}
