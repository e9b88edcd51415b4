// SPDX-License-Identifier: Apache-2.0
// Standard output, buffered in one reusable block of bytes and written with
// large write(2) calls, and standard error, written straight through: no
// Foundation, and no C `stdout` global, which Swift 6 cannot share safely.
// The CLI is single-threaded; so is an Output.
//
// A failed write of standard output ends the process, naming the error on
// standard error with status 1 — except EPIPE: a reader that went away
// (`eventlog dump log | head -1`) ends it quietly with status 0, as `cat`
// ends under a shell that ignores SIGPIPE.
import Glibc

final class Output {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes buffered, from `storage`.
    private(set) var count = 0
    static let flushThreshold = 1 << 20

    init() {
        capacity = Self.flushThreshold + 64 << 10
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        flush()
        storage.deallocate()
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        reserve(bytes.count).copyMemory(from: base, byteCount: bytes.count)
        commit(bytes.count)
    }

    func byte(_ value: UInt8) {
        reserve(1).storeBytes(of: value, as: UInt8.self)
        count += 1
    }

    /// Room for `needed` more bytes at the returned address; the caller
    /// stores at most that many there and adds what it stored to `count`
    /// with `commit(_:)`.
    @inline(__always)
    func reserve(_ needed: Int) -> UnsafeMutableRawPointer {
        if capacity - count < needed { makeRoom(needed) }
        return storage + count
    }

    @inline(__always)
    func commit(_ stored: Int) { count += stored }

    /// Writes out what is buffered once it passes the flush threshold.
    @inline(__always)
    func flushIfFull() {
        if count >= Self.flushThreshold { flush() }
    }

    private func makeRoom(_ needed: Int) {
        flush()
        if needed > capacity {
            storage.deallocate()
            capacity = needed
            storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }
    }

    /// Writes out what is buffered.
    func flush() {
        guard count > 0 else { return }
        let error = writeAll(STDOUT_FILENO, UnsafeRawBufferPointer(start: storage, count: count))
        count = 0
        guard let error else { return }
        if error == EPIPE { exit(0) }
        printError("eventlog: standard output: \(String(cString: strerror(error)))")
        exit(Failure.failed)
    }
}

/// Writes `message` and a newline to standard error in one write.
func printError(_ message: String, newline: Bool = true) {
    var text = newline ? message + "\n" : message
    _ = text.withUTF8 { writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
}

/// write(2) until everything is out, retrying EINTR and short writes; the
/// errno of a write that failed, nil when all went out.
private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var done = 0
    while done < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        done += n
    }
    return nil
}
