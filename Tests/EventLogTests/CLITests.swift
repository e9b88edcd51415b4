// SPDX-License-Identifier: Apache-2.0
// The `eventlog` tool end to end: logs generated with the Swift API, the
// built binary run as a subprocess, its output and exit status checked, and
// what it wrote read back with the Swift API.
import EventLog
import Foundation
import Testing

@Suite struct CLITests {
    /// 2025-11-29T10:00:00Z; record i of a generated log is i seconds later.
    static let baseTimestamp: Int64 = 1_764_410_400_000

    // MARK: info

    @Test func infoReportsSegmentsTotalsAndCursors() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try Self.makeLog(path)
        do {
            let log = try EventLog(path: path)
            let cursor = try log.cursor(named: "reader")
            for _ in 0..<30 { _ = try cursor.next() }
            try cursor.commit()
            try log.close()
        }

        let text = try CLI.run(["info", path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("records      120 in 12 batches"))
        #expect(text.stdout.contains("2025-11-29T10:00:00.000Z to 2025-11-29T10:01:59.000Z"))
        #expect(text.stdout.contains("reader"))

        let result = try CLI.run(["info", path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let info = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(info["records"] as? Int == 120)
        #expect(info["batches"] as? Int == 12)
        #expect(info["start_offset"] as? Int == 0)
        #expect(info["end_offset"] as? Int == 120)
        #expect(info["min_timestamp"] as? Int64 == Self.baseTimestamp)
        #expect(info["max_timestamp"] as? Int64 == Self.baseTimestamp + 119_000)
        #expect((info["compression_ratio"] as? Double ?? 0) > 0)
        let segments = try #require(info["segments"] as? [[String: Any]])
        let logFiles = dir.files(withSuffix: ".log", in: path)
        #expect(segments.count == logFiles.count && segments.count >= 3)
        #expect(segments.map { $0["file"] as? String ?? "" } == logFiles)
        #expect(segments.reduce(0) { $0 + ($1["records"] as? Int ?? 0) } == 120)
        // Segments cover the offsets without gaps.
        var next = 0
        for segment in segments {
            #expect(segment["first_offset"] as? Int == next)
            next = (segment["last_offset"] as? Int ?? -1) + 1
        }
        #expect(next == 120)
        let cursors = try #require(info["cursors"] as? [[String: Any]])
        #expect(cursors.count == 1)
        #expect(cursors.first?["name"] as? String == "reader")
        #expect(cursors.first?["next_offset"] as? Int == 30)
        #expect(cursors.first?["lag"] as? Int == 90)
    }

    // MARK: dump

    @Test func dumpPrintsExactRecordsByOffset() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = try Self.makeLog(path)

        let range = try CLI.run(["dump", path, "--from", "5", "--to", "25"])
        #expect(range.status == 0, "\(range.stderr)")
        let lines = range.lines
        #expect(lines.count == 20)
        for (line, record) in zip(lines, records[5..<25]) { try Self.expect(line, matches: record) }

        let limited = try CLI.run(["dump", path, "--from", "117", "--limit", "2"])
        try #require(limited.lines.count == 2, "\(limited.stderr)")
        try Self.expect(limited.lines[0], matches: records[117])

        let hex = try CLI.run(["dump", path, "--from", "3", "--limit", "1", "--hex"])
        #expect(hex.status == 0)
        #expect(hex.stdout.hasPrefix("offset 3  timestamp \(Self.baseTimestamp + 3000)"))
        #expect(hex.stdout.contains("    00000000  00 ff 03"))
    }

    @Test func dumpSelectsByTime() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = try Self.makeLog(path)
        let result = try CLI.run([
            "dump", path, "--from-time", "2025-11-29T10:00:10Z", "--to-time", String(Self.baseTimestamp + 20_000),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.count == 10)
        for (line, record) in zip(result.lines, records[10..<20]) { try Self.expect(line, matches: record) }

        let zoned = try CLI.run(["dump", path, "--from-time", "2025-11-29T11:00:59.5+01:00", "--limit", "1"])
        try Self.expect(try #require(zoned.lines.first), matches: records[60])
    }

    @Test func damagedSegmentIsReportedWithFileAndByte() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try Self.makeLog(path)
        let file = try #require(dir.files(withSuffix: ".log", in: path).first)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path + "/" + file))
        bytes[300] ^= 0x40  // inside the first batch's records
        try bytes.write(to: URL(fileURLWithPath: path + "/" + file))

        let dump = try CLI.run(["dump", path])
        #expect(dump.status == 1)
        #expect(dump.stderr.contains(file))
        #expect(dump.stderr.contains("CRC mismatch"))
        #expect(dump.stderr.contains("at byte 17"))  // the first batch's CRC field
        let info = try CLI.run(["info", path])
        #expect(info.status == 1)
        #expect(info.stderr.contains(file))

        let verify = try CLI.run(["verify", path])
        #expect(verify.status == 3, "\(verify.stderr)")
        #expect(verify.stdout.contains(file) && verify.stdout.contains("CRC mismatch"))
        let recover = try CLI.run(["recover", path, "--json"])
        #expect(recover.status == 0, "\(recover.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(recover.stdout.utf8)) as? [String: Any])
        // Only the damaged first batch goes; the 11 batches after it stay.
        #expect(report["next_offset"] as? Int == 120 && report["records_kept"] as? Int == 110)
        #expect((report["quarantined"] as? [Any])?.count == 1)
        #expect(try CLI.run(["verify", path]).status == 0)
    }

    // MARK: maintenance

    @Test func retentionAndCompactionReport() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try Self.makeLog(path)
        let segments = dir.files(withSuffix: ".log", in: path).count

        let compact = try CLI.run(["compact", path, "--dry-run", "--json"])
        #expect(compact.status == 0, "\(compact.stderr)")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(compact.stdout.utf8)) as? [String: Any])
        #expect(stats["keys"] as? Int == 5)
        #expect(dir.files(withSuffix: ".log", in: path).count == segments)

        let retention = try CLI.run(["retention", path, "--retention-bytes", "1", "--json"])
        #expect(retention.status == 0, "\(retention.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(retention.stdout.utf8)) as? [String: Any])
        let deleted = try #require(report["deleted_segments"] as? [Int])
        #expect(deleted.count == segments - 1)
        #expect(dir.files(withSuffix: ".log", in: path).count == 1)
        let dump = try CLI.run(["dump", path, "--limit", "1"])
        #expect(dump.lines.first?.contains("\"offset\":\(report["start_offset"] as? Int ?? -1),") == true)

        #expect(try CLI.run(["retention", path]).status == 2)
    }

    // MARK: tail

    @Test func tailWithoutFollowReadsToTheEnd() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = try Self.makeLog(path)
        let fromOffset = try CLI.run(["tail", path, "--from", "100"])
        #expect(fromOffset.status == 0, "\(fromOffset.stderr)")
        #expect(fromOffset.lines.count == 20)
        for (line, record) in zip(fromOffset.lines, records[100...]) { try Self.expect(line, matches: record) }

        let last = try CLI.run(["tail", path])
        #expect(last.lines.count == 10)
        try Self.expect(try #require(last.lines.first), matches: records[110])
    }

    @Test func tailFollowsWithANamedCursorAndCommitsOnSIGTERM() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path)
        for i in 0..<5 { try log.append(key: nil, value: Array("early \(i)".utf8)) }
        try log.flush()

        let tail = try CLI.start(["tail", "-f", path, "--cursor", "follower", "--commit-every", "3"])
        for i in 0..<5 {
            let line = try #require(try tail.output.nextLine(timeout: 10))
            #expect(line.contains("\"value\":\"early \(i)\""))
        }
        for i in 0..<3 { try log.append(key: nil, value: Array("late \(i)".utf8)) }
        try log.flush()
        for i in 0..<3 {
            let line = try #require(try tail.output.nextLine(timeout: 10))
            #expect(line.contains("\"offset\":\(5 + i)"))
        }
        tail.process.terminate()
        #expect(try tail.waitForExit() == 0)
        #expect(try EventLog.namedCursors(at: path).map(\.nextOffset) == [8])

        // It resumes where it stopped.
        try log.append(key: nil, value: Array("after".utf8))
        try log.flush()
        let resumed = try CLI.run(["tail", path, "--cursor", "follower"])
        #expect(resumed.lines.count == 1)
        #expect(resumed.lines.first?.contains("\"offset\":8") == true)
        #expect(try EventLog.namedCursors(at: path).map(\.nextOffset) == [9])
        try log.close()
    }

    // MARK: append

    @Test func appendReadsLinesAndJSON() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let plain = try CLI.run(["append", path, "--key", "k", "--batch", "3"], input: "a\nb\n\nlast without newline")
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.isEmpty)
        let json = try CLI.run(
            ["append", path, "--json"],
            input: """
                {"value": "x\\ny", "headers": {"h": "v", "n": null, "b": {"b64": "AAEC"}}, "timestamp": 1764410400000}
                {"key_b64": "AP8=", "value": null, "timestamp": "2025-11-29T10:00:01Z"}

                """)
        #expect(json.status == 0, "\(json.stderr)")

        let read = try Self.readAll(path)
        try #require(read.count == 6)
        #expect(
            read.map(\.value) == [
                Array("a".utf8), Array("b".utf8), [], Array("last without newline".utf8), Array("x\ny".utf8), nil,
            ])
        #expect(read[0..<4].allSatisfy { $0.key == Array("k".utf8) })
        #expect(read[4].key == nil)
        #expect(read[4].timestamp == Self.baseTimestamp)
        #expect(
            read[4].headers == [
                Header(key: "h", value: Array("v".utf8)), Header(key: "n", value: nil),
                Header(key: "b", value: [0, 1, 2]),
            ])
        #expect(read[5].key == [0, 255])
        #expect(read[5].timestamp == Self.baseTimestamp + 1000)

        let bad = try CLI.run(["append", path, "--json"], input: "{\"value\": \"ok\"}\n{\"value\": 12}\n")
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("line 2"))
    }

    @Test func dumpOutputAppendedAsJSONCopiesALog() throws {
        let dir = TemporaryDirectory()
        let records = try Self.makeLog(dir.child("a"))
        let dump = try CLI.run(["dump", dir.child("a")])
        let append = try CLI.run(["append", dir.child("b"), "--json", "--batch", "50"], input: dump.stdout)
        #expect(append.status == 0, "\(append.stderr)")
        #expect(try Self.readAll(dir.child("b")) == records)
    }

    @Test func ackPrintsDurableOffsetsWithoutWaitingForMoreInput() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let append = try CLI.start(["append", path, "--ack", "--sync", "batch", "--batch", "4"], withInput: true)
        let input = append.input!.fileHandleForWriting
        input.write(Data("one\n".utf8))
        // Only one line is available: it is acknowledged without waiting for a batch of 4.
        #expect(try append.output.nextLine(timeout: 10) == "0")
        input.write(Data("two\nthree\n".utf8))
        #expect(try append.output.nextLine(timeout: 10) == "1")
        #expect(try append.output.nextLine(timeout: 10) == "2")
        // An acknowledged record is in the log while the writer still runs.
        #expect(try Self.readAll(path).map(\.value) == ["one", "two", "three"].map { Array($0.utf8) })
        try input.close()
        #expect(try append.waitForExit() == 0)

        let none = try CLI.run(["append", path, "--ack", "--batch", "2"], input: "four\nfive\nsix\n")
        #expect(none.lines == ["3", "4", "5"])
    }

    // MARK: errors

    @Test func badArgumentsAreNamedOnStandardError() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try Self.makeLog(path, count: 10)
        let cases: [([String], Int32, [String])] = [
            (["dump"], 2, ["<directory>"]),
            (["dump", dir.child("missing")], 1, [dir.child("missing")]),
            (["dump", path, "--from", "abc"], 2, ["--from", "abc"]),
            (["dump", path, "--from-time", "yesterday"], 2, ["--from-time", "yesterday"]),
            (["tail", path, "--cursor", "../escape"], 2, ["--cursor", "../escape"]),
            (["tail", path, "--commit-every", "5"], 2, ["--commit-every"]),
            (["cursors", path, "--delete", "../escape"], 2, ["--delete", "../escape"]),
            (["cursors", path, "--delete", "nosuch"], 1, ["nosuch"]),
            (["append", path, "--sync", "always"], 2, ["--sync", "always"]),
        ]
        for (arguments, status, mentions) in cases {
            let result = try CLI.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments)")
            for text in mentions { #expect(result.stderr.contains(text), "\(arguments): \(result.stderr)") }
        }
        #expect(try CLI.run(["--version"]).stdout == EventLog.version + "\n")
    }

    // MARK: Support

    /// Every record of the log in `path`, read through a read-only handle.
    static func readAll(_ path: String) throws -> [Record] {
        var options = EventLogOptions()
        options.readOnly = true
        let log = try EventLog(path: path, options: options)
        let cursor = try log.cursor(from: 0)
        let records = try cursor.records()
        return records
    }

    /// A log of `count` records in batches of 10 over several 4 KiB
    /// segments: null keys, tombstones, headers, binary values and random
    /// text that compresses poorly.
    static func makeLog(_ path: String, count: Int = 120) throws -> [Record] {
        var options = EventLogOptions()
        options.segmentBytes = 4096
        options.linger = .microseconds(10_000_000)  // batches end only at flush
        let log = try EventLog(path: path, options: options)
        var generator = SeededGenerator(seed: 7)
        var records: [Record] = []
        for i in 0..<count {
            let text = (0..<150).map { _ in Character(UnicodeScalar(UInt8(97 + generator.next() % 26))) }
            let value: [UInt8]? =
                i % 11 == 5
                ? nil
                : i % 3 == 0 ? [0, 255, UInt8(i)] + Array(String(text).utf8) : Array("value \(i) \(String(text))".utf8)
            let record = Record(
                offset: UInt64(i), timestamp: baseTimestamp + Int64(i) * 1000,
                key: i % 7 == 1 ? nil : Array("key-\(i % 5)".utf8), value: value,
                headers: i % 4 == 0
                    ? [Header(key: "trace", value: Array("t\(i)".utf8)), Header(key: "bin", value: [0, 1, 2])] : [])
            records.append(record)
            try log.append(record)
            if i % 10 == 9 { try log.flush() }
        }
        try log.close()
        return records
    }

    /// Checks one JSON line of dump/tail against the record it should show.
    static func expect(_ line: String, matches record: Record) throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        #expect(json["offset"] as? UInt64 == record.offset, "\(line)")
        #expect(json["timestamp"] as? Int64 == record.timestamp, "\(line)")
        func bytes(_ name: String) -> [UInt8]? {
            if let text = json[name] as? String { return Array(text.utf8) }
            if let base64 = json[name + "_b64"] as? String { return Data(base64Encoded: base64).map { Array($0) } }
            return nil
        }
        #expect(bytes("key") == record.key, "\(line)")
        #expect(bytes("value") == record.value, "\(line)")
        #expect(json.keys.contains("key") || json.keys.contains("key_b64"))
        #expect(json.keys.contains("value") || json.keys.contains("value_b64"))
        let headers = try #require(json["headers"] as? [String: Any])
        #expect(headers.count == record.headers.count, "\(line)")
        for header in record.headers {
            let shown = headers[header.key]
            let value =
                (shown as? String).map { Array($0.utf8) }
                ?? ((shown as? [String: Any])?["b64"] as? String).flatMap { Data(base64Encoded: $0) }.map { Array($0) }
            #expect(value == header.value, "\(line)")
        }
    }
}

/// Runs the `eventlog-cli` binary built next to the test bundle.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] {
            stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
    }

    struct Running {
        struct StillRunning: Error {}
        let process: Process
        let output: LineStream
        let input: Pipe?

        /// The exit status; a process still running after `timeout` seconds
        /// is killed and the wait fails.
        func waitForExit(timeout: Double = 10) throws -> Int32 {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                throw StillRunning()
            }
            return process.terminationStatus
        }
    }

    static let executable: String = {
        var candidates: [URL] = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<3 {
            directory.deleteLastPathComponent()
            candidates.append(directory.appendingPathComponent(".build/debug"))
        }
        let found = candidates.map { $0.appendingPathComponent("eventlog-cli").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        return found ?? "eventlog-cli"
    }()

    /// Runs to completion with `input` on standard input.
    static func run(_ arguments: [String], input: String = "") throws -> Result {
        let files = TemporaryDirectory("cli")
        let outPath = files.child("out")
        let errPath = files.child("err")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self),
            stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
    }

    /// Starts it with standard output on a pipe read line by line.
    static func start(_ arguments: [String], withInput: Bool = false) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let input = withInput ? Pipe() : nil
        process.standardInput = input ?? FileHandle.nullDevice
        try process.run()
        return Running(process: process, output: LineStream(output.fileHandleForReading.fileDescriptor), input: input)
    }
}

/// Lines from a pipe, with a deadline for each.
final class LineStream {
    struct Timeout: Error {}
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(_ fd: Int32) { self.fd = fd }

    /// The next line, or nil at the end of the output; throws after `timeout` seconds.
    func nextLine(timeout: Double) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                defer { buffer.removeFirst(newline + 1) }
                return String(decoding: buffer[..<newline], as: UTF8.self)
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { throw Timeout() }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(left * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            if n == 0 { return nil }
            if n > 0 { buffer += chunk[0..<n] }
        }
    }
}
