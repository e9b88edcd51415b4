// Standard output, buffered, and standard error, written straight through
// write(2): no Foundation, and no C `stdout` global, which Swift 6 cannot
// share safely. The CLI is single-threaded; so is an Output.
import Glibc

final class Output {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private static let flushThreshold = 64 << 10

    init(fd: Int32 = STDOUT_FILENO) {
        self.fd = fd
        buffer.reserveCapacity(Self.flushThreshold + 4096)
    }

    deinit { flush() }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    func line(_ text: String = "") {
        write(text)
        write("\n")
    }

    /// Writes out what is buffered. A reader that went away (EPIPE) ends
    /// the process quietly, as SIGPIPE would.
    func flush() {
        guard !buffer.isEmpty else { return }
        let ok = buffer.withUnsafeBytes { writeAll(fd, $0) }
        buffer.removeAll(keepingCapacity: true)
        if !ok { exit(errno == EPIPE ? 0 : 1) }
    }
}

/// Writes `message` and (unless told not to) a newline to standard error in
/// one write.
func printError(_ message: String, newline: Bool = true) {
    let bytes = Array((newline ? message + "\n" : message).utf8)
    _ = bytes.withUnsafeBytes { writeAll(STDERR_FILENO, $0) }
}

/// write(2) until everything is out, retrying EINTR and short writes.
private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var done = 0
    while done < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        done += n
    }
    return true
}
