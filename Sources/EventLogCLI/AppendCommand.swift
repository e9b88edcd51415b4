// SPDX-License-Identifier: Apache-2.0
// `eventlog append`: records from standard input, one per line, appended
// with EventLog.append(contentsOf:), and with --ack made durable
// (EventLog.sync, or EventLog.flush with --sync none) before their offsets
// are printed.
import ArgumentParser
internal import EventLog
import Glibc

struct AppendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append standard input's lines to a log, one record per line.",
        discussion: """
            Each line (without its newline) is a record's value; --key gives every record \
            the same key. With --json each line is an object as `eventlog dump` prints it: \
            {"key": ..., "value": ..., "headers": {...}, "timestamp": ms}, with "key_b64" / \
            "value_b64" and {"b64": ...} header values for bytes that are not text; members \
            left out are null (the record's timestamp is then the current time, and --key \
            gives its key). So `eventlog dump A | eventlog append B --json` copies a log.

            Lines are taken in groups of up to --batch that are already available: a group \
            never waits for more input. With --ack, once a group is durable, its offsets are \
            printed, one per line: after EventLog.sync() returns (--sync batch or interval) or \
            after EventLog.flush() returns (--sync none: the records then survive a crash of \
            this process, not of the machine). An offset printed is never lost; a record not \
            yet acknowledged may or may not be in the log after a crash.

            Examples:
              printf 'a\\nb\\n' | eventlog append events --key greetings
              eventlog dump /old/events | eventlog append /new/events --json
              producer | eventlog append events --json --sync batch --ack --batch 64
            """)

    enum Sync: String, ExpressibleByArgument, CaseIterable {
        case none, batch, interval
    }

    @Argument(help: "The log directory (created if missing).")
    var directory: String

    @Flag(help: "Read JSON objects, one per line, instead of plain values.")
    var json = false

    @Option(help: ArgumentHelp("The key of every record (the default key with --json).", valueName: "key"))
    var key: String?

    @Option(help: "When writes reach the disk: none (left to the OS), batch (every batch), interval (every second).")
    var sync: Sync = .none

    @Flag(help: "Print each record's offset once it is durable (see --sync).")
    var ack = false

    @Option(help: ArgumentHelp("Append up to this many available lines at a time.", valueName: "count"))
    var batch: Int = 1

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        var options = EventLogOptions()
        switch sync {
        case .none: options.syncMode = .none
        case .batch: options.syncMode = .batch
        case .interval: options.syncMode = .interval(EventLogOptions.defaultSyncInterval)
        }
        let log = try EventLog(path: directory, options: options)
        let input = LineReader(fd: STDIN_FILENO)
        let out = Output()
        let defaultKey = key.map { Array($0.utf8) }
        while let lines = try input.nextLines(max: batch) {
            var records: [Record] = []
            var failure: Failure?
            for (i, line) in lines.lines.enumerated() {
                if json {
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                    do {
                        records.append(try RecordFormat.record(fromJSONLine: line, defaultKey: defaultKey))
                    } catch {
                        failure = Failure("standard input, line \(lines.firstNumber + i): \(error.message)")
                        break
                    }
                } else {
                    records.append(Record(key: defaultKey, value: line))
                }
            }
            if !records.isEmpty {
                let first = try log.append(contentsOf: records)
                if ack {
                    if sync == .none { try log.flush() } else { try log.sync() }
                    for offset in first..<first + UInt64(records.count) { out.write("\(offset)\n") }
                    out.flush()
                }
            }
            if let failure {
                try log.close()
                throw failure
            }
        }
        try log.close()
    }
}

/// Lines of a file descriptor, read with read(2) in chunks. `nextLines`
/// returns lines already read or readable without blocking (poll(2) with a
/// zero timeout); it blocks only when it has no complete line at all.
final class LineReader {
    private let fd: Int32
    private var pending: [[UInt8]] = []
    private var partial: [UInt8] = []
    private var atEnd = false
    private var linesReturned = 0
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    init(fd: Int32) { self.fd = fd }

    /// Up to `max` lines, and the 1-based number of the first; nil at the end
    /// of input. A last line without a newline counts as a line.
    func nextLines(max: Int) throws(Failure) -> (lines: [[UInt8]], firstNumber: Int)? {
        while pending.count < max && !atEnd && (pending.isEmpty || isReadable()) {
            try readChunk()
        }
        guard !pending.isEmpty else { return nil }
        let lines = Array(pending.prefix(max))
        pending.removeFirst(lines.count)
        defer { linesReturned += lines.count }
        return (lines, linesReturned + 1)
    }

    private func isReadable() -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }

    private func readChunk() throws(Failure) {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { return }
            throw Failure("standard input: read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 {
            atEnd = true
            if !partial.isEmpty { pending.append(partial) }
            return
        }
        var start = 0
        for i in 0..<n where chunk[i] == 0x0A {
            pending.append(partial + chunk[start..<i])
            partial = []
            start = i + 1
        }
        partial += chunk[start..<n]
    }
}
