// SPDX-License-Identifier: Apache-2.0
// Compaction as a user sees it: after each of several rounds of appends and
// compactions (random keys, tombstones, records without key, a clock that
// moves past delete horizons), the log holds exactly what the model says,
// offsets unchanged; cursors and seeks skip the gaps; kafka-python reads the
// compacted segments; segments that do not change are not rewritten; small
// segments merge; a dry run changes nothing; the C entry point fills its stats.
import CEventLogHeader
import EventLog
import EventLogCABI
import Foundation
import Testing

@Suite struct CompactionTests {
    static let hour: Int64 = 3_600_000
    static let start: Int64 = 1_700_000_000_000

    private func options(segmentBytes: UInt64 = 8192) -> EventLogOptions {
        var options = EventLogOptions()
        options.segmentBytes = segmentBytes
        options.batchMaxBytes = 1 << 20
        options.linger = .microseconds(1_000_000)
        return options
    }

    @Test func roundsMatchTheModel() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        var generator = SeededGenerator(seed: 11)
        let model = CompactionModel(deleteRetention: Self.hour)
        var log = try EventLog(path: path, options: options())
        var now = Self.start
        for round in 0..<6 {
            for _ in 0..<40 {
                let batch = CompactionFixture.randomBatch(
                    &generator, count: 1 + Int(generator.next() % 8), keyCount: 30, time: now)
                try model.append(batch, to: log)
                now += 1000
            }
            // Closing and reopening between some rounds, as a real log would.
            if round % 2 == 1 {
                try log.close()
                log = try EventLog(path: path, options: options())
            }
            let activeBase = CompactionFixture.segmentBases(path).last!
            var compact = CompactOptions()
            compact.deleteRetentionMilliseconds = Self.hour
            compact.currentTimeMilliseconds = now
            compact.maxSegmentBytes = 64 << 10
            let before = try CompactionFixture.readAll(path)
            let stats = try EventLog.compact(at: path, options: compact)
            model.compact(activeBase: activeBase, now: now)
            let after = try CompactionFixture.readAll(path)
            #expect(after == model.records, "round \(round)")
            #expect(stats.recordsBefore - stats.recordsAfter == UInt64(before.count - after.count), "round \(round)")
            #expect(stats.bytesAfter <= stats.bytesBefore)
            #expect(CompactionFixture.files(path, suffix: ".swap").isEmpty)
            #expect(CompactionFixture.files(path, suffix: ".cleaned").isEmpty)
            #expect(CompactionFixture.segmentBases(path).first == 0, "the log start never moves")
            // The clock jumps past the horizons of the tombstones cleaned so far.
            now += round % 2 == 0 ? Self.hour / 2 : 2 * Self.hour
        }
        // Offsets and gaps as cursors and seeks see them.
        let cursor = try log.cursor(from: .oldest)
        let expected = model.records
        for target in stride(from: UInt64(0), to: log.endOffset, by: 7) {
            try cursor.seek(to: .offset(target))
            let next = try cursor.next()
            #expect(next?.offset == model.firstOffset(atOrAfter: target), "seek to \(target)")
        }
        let report = try EventLog.verify(at: path)
        #expect(report.isSound, "\(report.problems.prefix(3))")
        try log.close()
        #expect(try CompactionFixture.readAll(path) == expected)
    }

    @Test func kafkaPythonReadsTheCompactedLog() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        var generator = SeededGenerator(seed: 5)
        let model = CompactionModel(deleteRetention: Self.hour)
        for compression in [EventLogOptions.Compression.lz4, .none] {
            var opts = options()
            opts.compression = compression
            let log = try EventLog(path: path, options: opts)
            for i in 0..<150 {
                try model.append(
                    CompactionFixture.randomBatch(
                        &generator, count: 1 + i % 6, keyCount: 25, time: Self.start + Int64(i)),
                    to: log)
            }
            try log.close()
        }
        var compact = CompactOptions()
        compact.currentTimeMilliseconds = Self.start
        compact.deleteRetentionMilliseconds = Self.hour
        for now in [Self.start, Self.start + 2 * Self.hour] {
            compact.currentTimeMilliseconds = now
            _ = try EventLog.compact(at: path, options: compact)
            model.compact(activeBase: CompactionFixture.segmentBases(path).last!, now: now)
        }
        let read = try KafkaInteropTests.runPython(
            ["kafka_read.py", path, "--allow-gaps", "--json", dir.child("read.jsonl")], json: dir.child("read.jsonl"))
        #expect(read == model.records)
        #expect(read.count < 1000)
    }

    @Test func unchangedSegmentsAreNotRewrittenAndSmallOnesMerge() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: options(segmentBytes: 4096))
        // Every key once: nothing to remove.
        for i in 0..<200 {
            try log.append(key: Array("unique-\(i)".utf8), value: [UInt8](repeating: 7, count: 100))
            try log.flush()
        }
        try log.close()
        let before = CompactionFixture.segmentBases(path)
        #expect(before.count > 5)
        let inode = try FileManager.default.attributesOfItem(atPath: path + "/00000000000000000000.log")[
            .systemFileNumber]
        var compact = CompactOptions()
        var stats = try EventLog.compact(at: path, options: compact)
        #expect(stats.segmentsRewritten == 0)
        #expect(stats.recordsAfter == stats.recordsBefore && stats.bytesAfter == stats.bytesBefore)
        #expect(CompactionFixture.segmentBases(path) == before)
        #expect(
            try FileManager.default.attributesOfItem(atPath: path + "/00000000000000000000.log")[.systemFileNumber]
                as? Int == inode as? Int)
        // With room to grow, runs of segments merge into ones named after their first base.
        compact.maxSegmentBytes = 5 * 4096
        stats = try EventLog.compact(at: path, options: compact)
        let after = CompactionFixture.segmentBases(path)
        #expect(after.count <= 3 && after.count < before.count)
        #expect(Set(after).isSubset(of: Set(before)) && after.first == 0 && after.last == before.last)
        #expect(stats.recordsAfter == stats.recordsBefore)
        #expect(try CompactionFixture.readAll(path).count == 200)
        let report = try EventLog.verify(at: path)
        #expect(report.isSound, "\(report.problems.prefix(3))")
    }

    @Test func tombstonesLiveForTheirDeleteHorizon() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: options(segmentBytes: 4096))
        try log.append(key: Array("a".utf8), value: Array("1".utf8), timestamp: Self.start)
        try log.append(key: Array("a".utf8), value: nil, timestamp: Self.start + 1)
        try log.append(key: nil, value: Array("no key".utf8), timestamp: Self.start + 2)
        try log.flush()
        for i in 0..<100 {  // fill segments so the first one closes
            try log.append(
                key: Array("filler-\(i % 3)".utf8), value: [UInt8](repeating: 1, count: 200), timestamp: Self.start + 3)
            try log.flush()
        }
        var compact = CompactOptions()
        compact.deleteRetentionMilliseconds = Self.hour
        compact.currentTimeMilliseconds = Self.start + 10
        _ = try EventLog.compact(at: path, options: compact)
        var records = try CompactionFixture.readAll(path)
        // The value went, the tombstone stays (its timestamp intact), the keyless record stays.
        #expect(records.prefix(2).map(\.offset) == [1, 2])
        #expect(records.first?.value == nil && records.first?.timestamp == Self.start + 1)
        compact.currentTimeMilliseconds = Self.start + 10 + Self.hour - 1
        _ = try EventLog.compact(at: path, options: compact)
        #expect(try CompactionFixture.readAll(path).first?.offset == 1)
        compact.currentTimeMilliseconds = Self.start + 10 + Self.hour
        let stats = try EventLog.compact(at: path, options: compact)
        #expect(stats.tombstonesRemoved == 1)
        records = try CompactionFixture.readAll(path)
        #expect(records.first?.offset == 2 && records.first?.key == nil)
        #expect(try log.cursor(from: 0).next()?.offset == 2)
        try log.close()
    }

    @Test func dryRunChangesNothing() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: options(segmentBytes: 4096))
        for i in 0..<300 {
            try log.append(key: Array("k\(i % 10)".utf8), value: [UInt8](repeating: 3, count: 100))
            try log.flush()
        }
        try log.close()
        let listing = CompactionFixture.files(path, suffix: "")
        var compact = CompactOptions()
        compact.dryRun = true
        let dry = try EventLog.compact(at: path, options: compact)
        #expect(CompactionFixture.files(path, suffix: "") == listing)
        #expect(dry.recordsAfter < dry.recordsBefore && dry.segmentsRewritten > 0)
        compact.dryRun = false
        let real = try EventLog.compact(at: path, options: compact)
        #expect(real.recordsAfter == dry.recordsAfter && real.bytesAfter == dry.bytesAfter)
    }

    @Test func theCEntryPointFillsItsStats() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: options(segmentBytes: 4096))
        for i in 0..<200 {
            try log.append(key: Array("k\(i % 4)".utf8), value: [UInt8](repeating: 3, count: 100))
            try log.flush()
        }
        try log.close()
        var compact = eventlog_compact_options()
        compact.version = UInt32(EVENTLOG_COMPACT_OPTIONS_VERSION)
        var stats = eventlog_compact_stats()
        stats.version = UInt32(EVENTLOG_COMPACT_STATS_VERSION)
        #expect(eventlogCompact(path, &compact, &stats) == EVENTLOG_OK)
        // The closed segments hold only values that later ones replace.
        #expect(stats.records_before > 0 && stats.records_after == 0)
        #expect(stats.bytes_before > stats.bytes_after)
        compact.delete_retention_ms = -1
        #expect(eventlogCompact(path, &compact, &stats) == EVENTLOG_EINVAL)
        #expect(eventlogCompact(dir.child("missing"), nil, nil) == EVENTLOG_ENOENT)
    }
}
