// SPDX-License-Identifier: Apache-2.0
// A cursor replaying a long range decodes the batches ahead on another
// thread: in segments large enough for it to start, a replay still returns
// every record exactly once and in order, seeks back and forth in the
// middle of a replay land where they should, and a damaged batch is
// reported by the cursor, at its byte, as without read-ahead, with every
// other record still read.
import EventLog
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
}
