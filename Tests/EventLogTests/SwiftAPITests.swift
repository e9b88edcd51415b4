// SPDX-License-Identifier: Apache-2.0
// The shapes of the Swift API: positions instead of reserved offsets,
// Duration for waits, appends from every byte type without a copy, reading
// that throws where a batch is damaged, and the typed error of `for try
// await` over a followed cursor.
import EventLog
import EventLogFoundation
import Foundation
import Testing

@Suite struct SwiftAPITests {
    private func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test func appendsEveryByteType() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        try log.append(key: "string-key", value: "string value")
        try log.append(key: [UInt8]("bytes".utf8), value: ArraySlice("slice".utf8))
        try log.append(key: Substring("sub-key"), value: ContiguousArray("contiguous".utf8))
        let rawOffset = try Array("raw value".utf8).withUnsafeBytes { raw in
            try log.append(key: "raw", value: raw)
        }
        #expect(rawOffset == 3)
        try log.append(key: Data("data-key".utf8), value: Data("data value".utf8))
        try log.append("value only")
        try log.appendTombstone(key: "string-key")
        try log.append(key: "with-header", value: "v", headers: [Header(key: "h", value: [1, 2])], timestamp: 5)
        try log.flush()

        let records = try log.cursor().records()
        #expect(
            records.map { text($0.key) } == [
                "string-key", "bytes", "sub-key", "raw", "data-key", nil, "string-key", "with-header",
            ])
        #expect(
            records.map { text($0.value) } == [
                "string value", "slice", "contiguous", "raw value", "data value", "value only", nil, "v",
            ])
        #expect(records.last?.headers == [Header(key: "h", value: [1, 2])])
        #expect(records.last?.timestamp == 5)
        #expect(records.map(\.offset) == Array(0..<8))
    }

    @Test func positionsOldestLatestOffsetAndTime() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        for i in 0..<10 { try log.append(key: "k", value: "\(i)", timestamp: 1_000 + Int64(i) * 100) }
        try log.flush()

        #expect(try log.cursor(from: .oldest).next()?.offset == 0)
        #expect(try log.cursor(from: .latest).next() == nil)
        #expect(try log.cursor(from: .offset(7)).next()?.offset == 7)
        #expect(try log.cursor(from: 3).next()?.offset == 3)
        #expect(try log.cursor(from: .time(sinceEpoch: .milliseconds(1_250))).next()?.offset == 3)
        #expect(try log.cursor(from: .time(sinceEpoch: .seconds(1.5))).next()?.offset == 5)
        #expect(try log.cursor(from: .time(Date(timeIntervalSince1970: 1.9))).next()?.offset == 9)

        let cursor = try log.cursor()
        try cursor.seek(to: .latest)
        #expect(cursor.offset == 10)
        try cursor.seek(to: .time(sinceEpoch: .zero))
        #expect(cursor.offset == 0)
        try cursor.seek(to: .offset(8))
        #expect(try cursor.next()?.offset == 8)

        try log.cursor(named: "reader", startingAt: .offset(6)).commit()
        #expect(try log.cursor(named: "reader", startingAt: .latest).next()?.offset == 6)
    }

    @Test func nextWaitsForADuration() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let cursor = try log.cursor(from: .latest)
        #expect(try cursor.next(timeout: .milliseconds(20)) == nil)
        try log.append("later")
        try log.flush()
        #expect(try text(cursor.next(timeout: .seconds(5))?.value) == "later")
        try log.append("much later")
        try log.flush()
        // A wait too long for the clock is a wait without limit, not a trap.
        #expect(try text(cursor.next(timeout: .seconds(Int64.max))?.value) == "much later")
    }

    @Test func optionWaitsAreDurations() throws {
        let dir = TemporaryDirectory()
        var options = EventLogOptions()
        options.linger = .milliseconds(5)
        options.syncMode = .interval(.milliseconds(50))
        let log = try EventLog(path: dir.child("log"), options: options)
        try log.append("synced within 50 ms")
        try log.close()

        for bad in [Duration.zero, .milliseconds(-1), .seconds(Int64.max)] {
            options.syncMode = .interval(bad)
            let error = #expect(throws: EventLogError.self) { try EventLog(path: dir.child("log"), options: options) }
            #expect(error?.code == .invalidArgument)
        }
        options.syncMode = .none
        options.linger = .milliseconds(-1)
        let error = #expect(throws: EventLogError.self) { try EventLog(path: dir.child("log"), options: options) }
        #expect(error?.message.contains("linger") == true)
    }

    /// 4000 records with one flipped bit in a batch of the second segment.
    private func damagedLog(in dir: TemporaryDirectory) throws -> EventLog {
        let path = dir.child("log")
        try Sample.writeLog(path, count: 4000)
        let segment = Surgery.segments(path)[1]
        Surgery.flipBit(segment, byte: Surgery.batches(segment)[2].position + 70, bit: 4)
        return try EventLog(path: path, options: Sample.options())
    }

    @Test func readingThrowsAtADamagedBatch() throws {
        let dir = TemporaryDirectory()
        let log = try damagedLog(in: dir)
        #expect(throws: EventLogError.self) { try log.cursor().records() }
        var read = 0
        let error = #expect(throws: EventLogError.self) {
            try log.cursor().forEach { _ in read += 1 }
        }
        #expect(error?.code == .corrupt)
        #expect(read > 0 && read < 4000)
    }

    @Test func followingThrowsATypedError() async throws {
        let dir = TemporaryDirectory()
        let log = try damagedLog(in: dir)
        var read = 0
        var code: EventLogError.Code?
        do {
            for try await _ in try log.cursor().following { read += 1 }
        } catch {
            // `error` is an EventLogError here, not `any Error`: no cast.
            code = error.code
        }
        #expect(code == .corrupt)
        #expect(read > 0)
    }
}
