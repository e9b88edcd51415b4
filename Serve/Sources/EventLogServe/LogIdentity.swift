// SPDX-License-Identifier: Apache-2.0
// A log's identity for the hello message: it stays the same while the log
// lives and changes when the log is deleted and created again, so a client
// can tell "resume" from "this is another log". Derived from the file system
// (the library stores no id): device and inode of the directory and of its
// head file, and the head file's birth time where the file system records
// one (statx). A new directory or head file gets a new inode (or, if an inode
// is reused, a new birth time). Its modification times change with every
// write, so they cannot serve.
import CServeShims
import Glibc

enum LogIdentity {
    static func of(directory: String) -> String {
        var parts: [UInt64] = []
        var st = stat()
        if stat(directory, &st) == 0 { parts += [UInt64(st.st_dev), UInt64(st.st_ino)] }
        let head = directory + "/eventlog.head"
        if stat(head, &st) == 0 {
            parts.append(UInt64(st.st_ino))
            var birth: Int64 = 0
            if serve_birth_time_ns(head, &birth) == 0 { parts.append(UInt64(bitPattern: birth)) }
        }
        // FNV-1a over the parts: a short, stable id.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash ^= (part >> UInt64(shift)) & 0xff
                hash = hash &* 0x100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
