// SPDX-License-Identifier: Apache-2.0
// The pid of a lock's holder, as text in the lock's file: only for the
// message that tells the next would-be holder who is in its way.
import Glibc

enum PidFile {
    static let unknown = "(unknown pid)"

    /// Writes this process's pid over the file. The new text goes in before
    /// the old is cut, so the file is never empty once a holder wrote it.
    static func write(_ file: FileHandle) throws(EventLogError) {
        let pid = Array("\(getpid())\n".utf8)
        try file.write(pid, at: 0)
        try file.truncate(to: pid.count)
    }

    /// The pid in the file. A holder that has just taken the lock may not have
    /// written it yet (two `compact` runs started together): an empty file is
    /// read again for up to 100 ms before the pid is called unknown.
    static func read(_ file: FileHandle) -> String {
        for _ in 0..<20 {
            let bytes = (try? file.read(32, at: 0)) ?? []
            let text = String(decoding: bytes, as: UTF8.self).filter { $0.isNumber }
            if !text.isEmpty { return text }
            usleep(5000)
        }
        return unknown
    }
}
