// SPDX-License-Identifier: Apache-2.0
// A consumer that starts before its producer: it opens an empty directory
// read-only (no log in it yet) and must get every record once a writer
// creates the log there and appends, in this process or from another.
import EventLog
import Foundation
import Testing

@Suite struct ConsumerFirstTests {
    private static var readOnly: EventLogOptions {
        var options = EventLogOptions()
        options.readOnly = true
        return options
    }

    @Test func aReaderOpenedBeforeTheWriterGetsEveryRecord() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("live")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let reader = try EventLog(path: path, options: Self.readOnly)
        let cursor = try reader.cursor(from: .oldest)
        #expect(try cursor.next(timeout: .milliseconds(20)) == nil)

        let writer = try EventLog(path: path)
        for i in 0..<2_000 { try writer.append(key: nil, value: Array("event-\(i)".utf8)) }
        try writer.flush()
        var values: [String] = []
        while values.count < 2_000, let record = try cursor.next(timeout: .milliseconds(30_000)) {
            #expect(record.offset == UInt64(values.count))
            values.append(String(decoding: record.value ?? [], as: UTF8.self))
        }
        #expect(values.count == 2_000)
        #expect(values.indices.first { values[$0] != "event-\($0)" } == nil, "records out of order or changed")
        #expect(reader.endOffset == 2_000)
        try writer.close()
        try reader.close()
    }

    @Test func tailFollowingAnEmptyDirectoryPrintsWhatAProducerWrites() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("live")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let tail = try CLI.start(["tail", "-f", path, "--from", "0"])
        defer { kill(tail.process.processIdentifier, SIGKILL) }
        // The writer must come after the tail has opened the empty
        // directory (a head file there at open is found anyway): wait until
        // the tail sleeps between its looks at the directory.
        try Self.waitUntilSleeping(tail.process.processIdentifier)
        let writer = try EventLog(path: path)
        for i in 0..<2_000 { try writer.append(key: nil, value: Array("event-\(i)".utf8)) }
        try writer.flush()
        var lines: [String] = []
        while lines.count < 2_000, let line = try tail.output.nextLine(timeout: 30) { lines.append(line) }
        #expect(lines.count == 2_000)
        #expect(lines.last?.contains("event-1999") == true)
        try writer.close()
    }

    /// Returns once the process's main thread is in a timed sleep, as
    /// /proc says; fails after 30 s.
    private static func waitUntilSleeping(_ pid: Int32) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? ""
            if wchan.contains("nanosleep") { return }
            sched_yield()
        }
        Issue.record("process \(pid) never waited")
    }
}
