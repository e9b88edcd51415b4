// SPDX-License-Identifier: Apache-2.0
// MapReduce against a sequential model: on random logs (keys, records
// without a key, tombstones, headers, several segments, compaction gaps),
// for 1 to 16 workers and 1 to 5 reducers, pieces as small as one batch,
// and ranges by offset and by time that start and end inside batches, a
// job gives exactly what a loop over a cursor gives, values of each key in
// offset order. A damaged batch, a failing map function and cancellation
// end the job with their error; records appended while it runs are left
// out.
import EventLog
import EventLogJobs
import EventLogTestSupport
import Foundation
import Testing

@Suite struct MapReduceTests {
    /// The model's answer: per key, the offsets of its records in order;
    /// records without a key under "-".
    private func model(_ records: [ModelRecord], _ range: Range<UInt64>) -> [String: [UInt64]] {
        var result: [String: [UInt64]] = [:]
        for record in records where range.contains(record.offset) {
            result[record.key.map { String(decoding: $0, as: UTF8.self) } ?? "-", default: []].append(record.offset)
        }
        return result
    }

    private func offsetsByKey(_ log: EventLog, _ range: JobRange, _ options: JobOptions) async throws -> [String:
        [UInt64]]
    {
        try await log.mapReduce(range, options: options) { (record: JobRecord, emit: Emitter<String, UInt64>) in
            emit.emit(record.keyString ?? "-", record.offset)
        } reduce: { _, offsets in
            offsets
        }
        .results
    }

    @Test(arguments: [(1 as UInt64, false), (2, true), (3, false), (4, true)])
    func randomLogsMatchTheModel(seed: UInt64, compacted: Bool) async throws {
        let scratch = ScratchLog()
        let log = try scratch.fill(count: 2500, seed: seed, compacted: compacted)
        let records = try readBack(log)
        var random = SeededGenerator(seed: seed ^ 0xABCD)
        let end = log.endOffset
        for (workers, reducers) in [(1, 1), (2, 3), (3, 2), (16, 5)] {
            let options = JobOptions(workers: workers, reducers: reducers, pieceBytes: 1)
            let from = random.next() % end
            let to = from + random.next() % (end - from + 1)
            #expect(try await offsetsByKey(log, .all, options) == model(records, 0..<end))
            #expect(
                try await offsetsByKey(log, .offsets(from: from, to: to), options) == model(records, from..<to),
                "offsets \(from)..<\(to), \(workers) workers")
            // By time: from the first record stamped at or after each bound.
            let timeFrom = records[records.count / 3].timestamp
            let timeTo = records[records.count * 2 / 3].timestamp
            let first = records.first { $0.timestamp >= timeFrom }?.offset ?? end
            let last = records.first { $0.timestamp >= timeTo }?.offset ?? end
            #expect(
                try await offsetsByKey(log, .time(from: .milliseconds(timeFrom), to: .milliseconds(timeTo)), options)
                    == model(records, first..<max(first, last)))
        }
        try log.close()
    }

    @Test func aggregateFoldsLikeTheModel() async throws {
        let scratch = ScratchLog()
        let log = try scratch.fill(count: 3000, seed: 9)
        let records = try readBack(log)
        // Bytes of values and tombstones per header value, and the latest
        // record per key.
        struct Tally: Sendable, Equatable {
            var count = 0
            var bytes = 0
            var tombstones = 0
            var latest: UInt64 = 0
        }
        var expected: [String: Tally] = [:]
        for record in records {
            let name = record.kind.map { $0.map { String(decoding: $0, as: UTF8.self) } ?? "null" } ?? "none"
            expected[name, default: Tally()].count += 1
            expected[name, default: Tally()].bytes += record.value?.count ?? 0
            expected[name, default: Tally()].tombstones += record.value == nil ? 1 : 0
            expected[name, default: Tally()].latest = record.offset
        }
        for workers in [1, 2, 7] {
            let result = try await log.aggregate(
                options: JobOptions(workers: workers, reducers: 2, pieceBytes: 1), initial: Tally()
            ) { (record: JobRecord, emit: Emitter<String, JobRecordFacts>) in
                let name: String
                switch record.header("kind") {
                case .none: name = "none"
                case .some(.none): name = "null"
                case .some(.some(let value)): name = String(decoding: value, as: UTF8.self)
                }
                emit.emit(name, JobRecordFacts(offset: record.offset, bytes: record.value?.count))
            } fold: { tally, facts in
                tally.count += 1
                tally.bytes += facts.bytes ?? 0
                tally.tombstones += facts.bytes == nil ? 1 : 0
                tally.latest = facts.offset
            } merge: { tally, later in
                tally.count += later.count
                tally.bytes += later.bytes
                tally.tombstones += later.tombstones
                tally.latest = later.latest
            }
            #expect(result.results == expected)
            #expect(result.summary.records == records.count)
            #expect(result.summary.pairs == records.count)
            #expect(result.summary.offsets == 0..<log.endOffset)
            #expect(result.summary.storedBytes > 0 && result.summary.decodedBytes > 0)
        }
        try log.close()
    }

    @Test func aDamagedBatchFailsTheJob() async throws {
        let scratch = ScratchLog()
        try scratch.fill(count: 2500, seed: 5).close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasSuffix(".log") }
            .sorted()
        #expect(segments.count >= 3)
        let damaged = scratch.path + "/" + segments[1]
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: damaged))
        try file.seek(toOffset: 100)
        let byte = try file.read(upToCount: 1)![0]
        try file.seek(toOffset: 100)
        try file.write(contentsOf: [byte ^ 0x5A])
        try file.close()
        var readOnly = EventLogOptions()
        readOnly.readOnly = true
        let log = try EventLog(path: scratch.path, options: readOnly)
        for workers in [1, 4] {
            await #expect {
                _ = try await offsetsByKey(log, .all, JobOptions(workers: workers, pieceBytes: 1))
            } throws: { error in
                guard let error = error as? EventLogError else { return false }
                return error.code == .corrupt && error.message.contains(segments[1])
                    && error.message.contains("at byte")
            }
        }
        try log.close()
    }

    struct Refused: Error, Equatable { var offset: UInt64 }

    @Test func aFailingMapFunctionStopsTheJob() async throws {
        let scratch = ScratchLog()
        let log = try scratch.fill(count: 2500, seed: 6)
        for workers in [1, 3] {
            await #expect(throws: Refused(offset: 1234)) {
                try await log.mapReduce(options: JobOptions(workers: workers, pieceBytes: 1)) {
                    (record: JobRecord, emit: Emitter<UInt64, Int>) in
                    if record.offset == 1234 { throw Refused(offset: 1234) }
                    emit.emit(record.offset % 3, 1)
                } reduce: { _, ones in
                    ones.count
                }
            }
        }
        try log.close()
    }

    @Test func cancellationEndsTheJob() async throws {
        let scratch = ScratchLog()
        let log = try scratch.fill(count: 2500, seed: 7)
        // Cancelled before it starts: nothing is mapped.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await log.mapReduce { (record: JobRecord, emit: Emitter<Int, Int>) in
                emit.emit(0, 1)
            } reduce: { _, ones in
                ones.count
            }
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        // Cancelled while a piece is mapped: the piece stops before its
        // next batch.
        await #expect(throws: CancellationError.self) {
            try await log.mapReduce(options: JobOptions(workers: 2, pieceBytes: 1)) {
                (record: JobRecord, emit: Emitter<Int, Int>) in
                if record.offset == 100 { withUnsafeCurrentTask { $0?.cancel() } }
                emit.emit(0, 1)
            } reduce: { _, ones in
                ones.count
            }
        }
        try log.close()
    }

    @Test func recordsAppendedMeanwhileAreLeftOut() async throws {
        let scratch = ScratchLog()
        let log = try scratch.fill(count: 1000, seed: 8)
        let end = log.endOffset
        let result = try await log.mapReduce(options: JobOptions(workers: 2, pieceBytes: 1)) {
            (record: JobRecord, emit: Emitter<Int, UInt64>) in
            try log.append(key: nil, value: [1])
            try log.flush()
            emit.emit(0, record.offset)
        } reduce: { _, offsets in
            offsets
        }
        #expect(result.results[0] == Array(0..<end))
        #expect(result.summary.offsets == 0..<end)
        #expect(log.endOffset == 2 * end)
        try log.close()
    }

    @Test func badOptionsAreRefused() async throws {
        let scratch = ScratchLog()
        let log = try scratch.fill(count: 10, seed: 1)
        for options in [JobOptions(workers: 0), JobOptions(reducers: 0), JobOptions(pieceBytes: -1)] {
            await #expect(throws: EventLogError.self) {
                try await offsetsByKey(log, .all, options)
            }
        }
        await #expect(throws: EventLogError.self) {
            try await offsetsByKey(log, .offsets(from: 5, to: 4), JobOptions())
        }
        #expect(try await offsetsByKey(log, .offsets(from: 5, to: 5), JobOptions()).isEmpty)
        try log.close()
    }
}

/// What the aggregate test's map function emits per record.
struct JobRecordFacts: Sendable {
    var offset: UInt64
    var bytes: Int?
}
