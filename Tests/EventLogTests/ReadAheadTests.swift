// SPDX-License-Identifier: Apache-2.0
// A cursor replaying a long range decodes the batches ahead on another
// thread: in segments large enough for it to start, a replay still returns
// every record exactly once and in order (also through the C API, whose
// reads write the records straight into the caller's array), seeks back
// and forth in the middle of a replay land where they should, and a
// damaged batch is reported by the cursor, at its byte, as without
// read-ahead, with every other record still read.
import CEventLogHeader
import EventLog
import EventLogCABI
import Foundation
import Testing

@Suite struct ReadAheadTests {
    private static let count: UInt64 = 12_000

    private func writeLog(_ path: String) throws {
        try Sample.writeLog(
            path, count: Self.count, options: Sample.options(segmentBytes: 1 << 20, batchMaxBytes: 4096))
    }

    @Test func aReplayReturnsEveryRecordOnce() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try writeLog(path)
        let outcome = try Reader.readAll(path: path, readOnly: true)
        #expect(outcome.errors.isEmpty)
        #expect(outcome.wrong.isEmpty)
        #expect(outcome.offsets == Array(0..<Self.count))
    }

    @Test func seeksInTheMiddleOfAReplay() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try writeLog(path)
        let log = try EventLog(path: path)
        let cursor = try log.cursor(from: .oldest)
        func read(_ count: Int, from first: UInt64) throws {
            for expected in first..<(first + UInt64(count)) {
                let record = try #require(try cursor.next())
                #expect(record == Sample.record(expected))
            }
        }
        try read(3000, from: 0)
        try cursor.seek(to: 1200)
        try read(4000, from: 1200)
        try cursor.seek(to: 9000)
        try read(1500, from: 9000)
        try cursor.seek(to: 10)
        try read(10, from: 10)
        try cursor.seek(to: 11_000)
        try read(1000, from: 11_000)
        #expect(try cursor.next() == nil)
        try log.close()
    }

    @Test func aDamagedBatchIsReportedByTheCursor() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try writeLog(path)
        let segment = path + "/" + dir.files(withSuffix: ".log", in: path)[0]
        // Deep in the first segment, where the read-ahead runs.
        Surgery.flipBit(segment, byte: 600_000, bit: 3)
        let outcome = try Reader.readAll(path: path, readOnly: true)
        #expect(outcome.wrong.isEmpty)
        #expect(outcome.errors.count == 1)
        let message = outcome.errors.first?.message ?? ""
        #expect(message.contains(segment) && message.contains("at byte"), "\(message)")
        // Only the damaged batch's records are missing, in one run.
        let missing = Set(0..<Self.count).subtracting(outcome.offsets).sorted()
        #expect(!missing.isEmpty && missing.count < 100)
        #expect(missing.last.map { $0 - missing[0] + 1 } == UInt64(missing.count))
    }

    /// next_batch of varied capacities and next, mixed: every record once,
    /// in order, with its headers, and NULL headers for records without.
    @Test func readsThroughTheCAPIReturnEveryRecordOnce() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try writeLog(path)
        var log: OpaquePointer?
        #expect(eventlog_open(path, nil, &log) == EVENTLOG_OK)
        defer { eventlog_close(log) }
        var cursor: OpaquePointer?
        #expect(eventlog_cursor_open(log, 0, &cursor) == EVENTLOG_OK)
        defer { eventlog_cursor_close(cursor) }
        var out = [eventlog_record](repeating: eventlog_record(), count: 1000)
        let capacities = [1000, 1, 7, 333, 0]  // 0: eventlog_cursor_next
        var next: UInt64 = 0
        var wrong: [UInt64] = []
        for call in 0..<100_000 {
            let capacity = capacities[call % capacities.count]
            var count = 1
            let rc = out.withUnsafeMutableBufferPointer { buffer in
                capacity == 0
                    ? eventlog_cursor_next(cursor, 0, buffer.baseAddress)
                    : eventlog_cursor_next_batch(cursor, 0, buffer.baseAddress, capacity, &count)
            }
            guard rc == EVENTLOG_OK else {
                #expect(rc == EVENTLOG_END)
                break
            }
            for record in out.prefix(count) {
                if record.offset != next || !Self.matches(record, Sample.record(next)) { wrong.append(record.offset) }
                next = record.offset + 1
            }
        }
        #expect(wrong.isEmpty)
        #expect(next == Self.count)
    }

    private static func matches(_ got: eventlog_record, _ expected: Record) -> Bool {
        func bytes(_ start: UnsafeRawPointer?, _ count: Int) -> [UInt8]? {
            start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) }
        }
        let headers = (0..<got.header_count).map { index in
            let header = got.headers![index]
            return Header(
                key: String(decoding: bytes(header.key, header.key_len) ?? [], as: UTF8.self),
                value: bytes(header.value, header.value_len))
        }
        return got.timestamp == expected.timestamp && bytes(got.key, got.key_len) == expected.key
            && bytes(got.value, got.value_len) == expected.value && headers == expected.headers
            && (got.headers == nil) == (got.header_count == 0)
    }
}
