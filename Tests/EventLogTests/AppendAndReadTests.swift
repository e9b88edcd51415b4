// SPDX-License-Identifier: Apache-2.0
// Appending through the Swift API and reading back exactly what was written.
import EventLog
import Foundation
import Synchronization
import Testing

@Suite struct AppendAndReadTests {
    @Test func recordsReadBackExactly() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let records: [Record] = [
            Record(timestamp: 1_700_000_000_000, key: Array("user-1".utf8), value: Array("hello".utf8)),
            Record(timestamp: 1_700_000_000_010, key: nil, value: Array("no key".utf8)),
            Record(
                timestamp: 1_700_000_000_020, key: Array("user-1".utf8), value: nil,
                headers: [Header(key: "src", value: nil), Header(key: "", value: [])]),
            Record(timestamp: 1_699_999_999_000, key: [], value: []),
        ]
        let first = try log.append(contentsOf: records)
        #expect(first == 0)
        #expect(log.endOffset == 4)
        try log.flush()
        let read = try log.cursor(from: .oldest).records()
        #expect(read.count == 4)
        for (i, record) in read.enumerated() {
            var expected = records[i]
            expected.offset = UInt64(i)
            #expect(record == expected)
        }
        try log.close()
    }

    /// Appending threads seal the batches they fill while the flusher is
    /// busy, so batches are sealed out of order; they must still land in
    /// offset order, each record where its append said it would be.
    @Test func batchesSealedOnSeveralThreadsLandInOffsetOrder() throws {
        let dir = TemporaryDirectory()
        var options = EventLogOptions()
        options.batchMaxBytes = 2048
        options.segmentBytes = 64 * 1024
        let log = try EventLog(path: dir.child("log"), options: options)
        let expected = Locked<[UInt64: [UInt8]]>([:])
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            var generator = SeededGenerator(seed: UInt64(thread) + 1)
            var sequence = 0
            while sequence < 3000 {
                let count = 1 + Int(generator.next() % 60)
                let records = (0..<count).map { i in
                    let padding = String(repeating: "x", count: Int(generator.next() % 200))
                    return Record(key: nil, value: Array("t\(thread)-\(sequence + i)-\(padding)".utf8))
                }
                do {
                    let first = try log.append(contentsOf: records)
                    expected.withLock { map in
                        for (i, record) in records.enumerated() { map[first + UInt64(i)] = record.value }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                    return
                }
                sequence += count
            }
        }
        try log.close()
        #expect(failures.withLock { $0 }.isEmpty)
        let reopened = try EventLog(path: dir.child("log"))
        let read = try reopened.cursor(from: .oldest).records()
        let map = expected.withLock { $0 }
        #expect(read.count == map.count)
        #expect(read.map(\.offset) == Array(0..<UInt64(read.count)))
        let misplaced = read.filter { map[$0.offset] != $0.value }.count
        #expect(misplaced == 0)
    }

    /// Batch reads of every size return the records exactly, headers
    /// included, whether a call takes whole batches or parts of them.
    @Test func batchReadsOfEverySizeReturnRecordsWithTheirHeaders() throws {
        let dir = TemporaryDirectory()
        var options = EventLogOptions()
        options.batchMaxBytes = 700
        let log = try EventLog(path: dir.child("log"), options: options)
        var generator = SeededGenerator(seed: 9)
        let written: [Record] = (0..<600).map { i in
            let headers = (0..<Int(generator.next() % 3)).map { h in
                Header(key: "h\(h)", value: h == 1 ? nil : Array("v\(i)-\(h)".utf8))
            }
            return Record(
                offset: UInt64(i), timestamp: 1_700_000_000_000 + Int64(i), key: i % 5 == 0 ? nil : Array("k\(i)".utf8),
                value: Array(repeating: UInt8(i % 251), count: Int(generator.next() % 90)), headers: headers)
        }
        _ = try log.append(
            contentsOf: written.map {
                Record(timestamp: $0.timestamp, key: $0.key, value: $0.value, headers: $0.headers)
            })
        try log.flush()
        for maxCount in [1, 3, 7, 64, 1000] {
            let cursor = try log.cursor(from: .oldest)
            var read: [Record] = []
            while true {
                let taken = try cursor.withNextRecords(maxCount: maxCount, timeoutMilliseconds: 0) { views, headers in
                    for view in views {
                        read.append(
                            Record(
                                offset: UInt64(view.offset), timestamp: view.timestamp, key: view.key.map { Array($0) },
                                value: view.value.map { Array($0) },
                                headers: headers[view.headerStart..<view.headerStart + view.headerCount].map {
                                    Header(
                                        key: String(decoding: $0.key, as: UTF8.self), value: $0.value.map { Array($0) })
                                }))
                    }
                    return views.count
                }
                if taken == 0 { break }
            }
            #expect(read == written, "maxCount \(maxCount)")
        }
    }

    @Test func recordsAreInvisibleUntilFlushed() throws {
        let dir = TemporaryDirectory()
        var options = EventLogOptions()
        options.linger = .microseconds(10_000_000)  // 10 s: only flush writes
        let log = try EventLog(path: dir.child("log"), options: options)
        try log.append(key: nil, value: [1])
        let cursor = try log.cursor(from: 0)
        #expect(try cursor.next() == nil)
        try log.flush()
        #expect(try cursor.next()?.value == [1])
    }

    @Test func lingerWritesWithoutFlush() throws {
        let dir = TemporaryDirectory()
        var options = EventLogOptions()
        options.linger = .microseconds(2000)
        let log = try EventLog(path: dir.child("log"), options: options)
        let cursor = try log.cursor(from: .latest)
        try log.append(key: nil, value: [7])
        // No flush: the background flusher writes the batch after 2 ms, and
        // the waiting cursor wakes up.
        let record = try cursor.next(timeout: .milliseconds(5000))
        #expect(record?.value == [7])
    }

    @Test func largeValuesAndManyRecordsRoundTrip() throws {
        let dir = TemporaryDirectory()
        var generator = SeededGenerator(seed: 42)
        var options = EventLogOptions()
        options.segmentBytes = 1 << 20
        let log = try EventLog(path: dir.child("log"), options: options)
        var expected: [Record] = []
        for i in 0..<3000 {
            let size = i % 500 == 0 ? (1 << 20) + 17 : Int.random(in: 0..<300, using: &generator)
            var value = [UInt8](repeating: 0, count: size)
            for j in stride(from: 0, to: size, by: 8) {
                withUnsafeBytes(of: generator.next()) { word in
                    for k in 0..<min(8, size - j) { value[j + k] = word[k] }
                }
            }
            let key: [UInt8]? = i % 7 == 0 ? nil : Array("key-\(i % 50)".utf8)
            let record = Record(
                offset: UInt64(i), timestamp: 1_700_000_000_000 + Int64(i), key: key, value: value,
                headers: i % 3 == 0 ? [Header(key: "h\(i)", value: i % 2 == 0 ? nil : [UInt8(i & 255)])] : [])
            expected.append(record)
            try log.append(record)
        }
        try log.flush()
        let cursor = try log.cursor(from: 0)
        let read = try cursor.records()
        #expect(read.count == expected.count)
        let firstMismatch = zip(read, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstMismatch == nil)
        #expect(dir.files(withSuffix: ".log", in: dir.child("log")).count > 3)
    }

    @Test func reopenContinuesAtTheNextOffset() throws {
        let dir = TemporaryDirectory()
        var options = EventLogOptions()
        options.segmentBytes = 8192
        do {
            let log = try EventLog(path: dir.child("log"), options: options)
            for i in 0..<500 { try log.append(key: nil, value: Array("v\(i)".utf8)) }
            try log.close()
        }
        let log = try EventLog(path: dir.child("log"), options: options)
        #expect(log.endOffset == 500)
        #expect(try log.append(key: nil, value: Array("v500".utf8)) == 500)
        try log.flush()
        let values = try log.cursor(from: 0).records().map { String(decoding: $0.value!, as: UTF8.self) }
        #expect(values == (0...500).map { "v\($0)" })
    }

    @Test func seekByOffsetAcrossSegments() throws {
        let dir = TemporaryDirectory()
        var options = EventLogOptions()
        options.segmentBytes = 16384
        options.batchMaxBytes = 1024
        let log = try EventLog(path: dir.child("log"), options: options)
        for i in 0..<5000 {
            try log.append(key: nil, value: Array("value-\(i)".utf8), timestamp: 1_000_000 + Int64(i) * 10)
        }
        try log.flush()
        let cursor = try log.cursor(from: 0)
        for target in [0, 1, 999, 1000, 2500, 4998, 4999] {
            try cursor.seek(to: .offset(UInt64(target)))
            #expect(try cursor.next()?.offset == UInt64(target))
        }
        try cursor.seek(to: 5000)
        #expect(try cursor.next() == nil)
        try cursor.seek(to: .latest)
        #expect(cursor.offset == 5000)
        try cursor.seek(to: 123_456)
        #expect(try cursor.next() == nil)
    }

    @Test func seekByTimeAcrossSegments() throws {
        let dir = TemporaryDirectory()
        var options = EventLogOptions()
        options.segmentBytes = 16384
        options.batchMaxBytes = 1024
        let log = try EventLog(path: dir.child("log"), options: options)
        for i in 0..<5000 {
            try log.append(key: nil, value: Array("value-\(i)".utf8), timestamp: 1_000_000 + Int64(i) * 10)
        }
        try log.flush()
        let cursor = try log.cursor(from: 0)
        for i in [0, 1, 777, 2500, 4999] {
            try cursor.seek(to: .time(sinceEpoch: .milliseconds(1_000_000 + Int64(i) * 10)))
            #expect(try cursor.next()?.offset == UInt64(i))
            try cursor.seek(to: .time(sinceEpoch: .milliseconds(1_000_000 + Int64(i) * 10 - 5)))
            #expect(try cursor.next()?.offset == UInt64(i))
        }
        try cursor.seek(to: .time(sinceEpoch: .milliseconds(0)))
        #expect(try cursor.next()?.offset == 0)
        try cursor.seek(to: .time(sinceEpoch: .milliseconds(9_000_000_000)))
        #expect(try cursor.next() == nil)
    }
}
