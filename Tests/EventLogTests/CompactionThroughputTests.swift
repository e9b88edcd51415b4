// SPDX-License-Identifier: Apache-2.0
// The figures of compaction on a generated log: 1000 keys updated 100 times
// each with ~100-byte values (100,000 records, LZ4, 1 MiB segments).
// Prints the throughput in MB/s of input (closed segments examined) and the
// reduction; asserts only what must hold (at most one record per key
// survives in the closed segments).
import EventLog
import Foundation
import Testing

@Suite struct CompactionThroughputTests {
    @Test func thousandKeysTimesHundredUpdates() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        var options = EventLogOptions()
        options.segmentBytes = 1 << 20
        let log = try EventLog(path: path, options: options)
        var generator = SeededGenerator(seed: 1)
        let keys = 1000
        let updates = 100
        var records: [Record] = []
        records.reserveCapacity(keys)
        for round in 0..<updates {
            records.removeAll(keepingCapacity: true)
            for k in 0..<keys {
                // ~100 bytes of JSON-like text with random digits: it compresses
                // about as well as typical event payloads.
                let digits = (0..<6).map { _ in String(generator.next() % 1_000_000_000) }.joined(separator: ",")
                let value = "{\"id\":\(k),\"version\":\(round),\"data\":[\(digits)]}"
                records.append(Record(key: Array("user-\(k)".utf8), value: Array(value.utf8)))
            }
            try log.append(contentsOf: records)
        }
        try log.close()
        let logBefore = try EventLog.inspect(at: path)
        var dryRun = CompactOptions()
        dryRun.dryRun = true
        let dry = try EventLog.compact(at: path, options: dryRun)
        let stats = try EventLog.compact(at: path)
        let logAfter = try EventLog.inspect(at: path)
        let megabytes = Double(stats.bytesBefore) / 1e6
        // The active segment holds the last rounds, so every record of the
        // closed segments has a newer version: they shrink to empty batches.
        print(
            String(
                format: "compaction: %d closed segments, %.2f MB in -> %.3f MB out, %d -> %d records, "
                    + "%.3f s, %.0f MB/s of input (dry run, no writes or syncs: %.0f MB/s); "
                    + "whole log %d -> %d records, %.2f -> %.2f MB",
                stats.segmentsBefore, megabytes, Double(stats.bytesAfter) / 1e6, stats.recordsBefore,
                stats.recordsAfter, stats.seconds, megabytes / stats.seconds, megabytes / dry.seconds,
                logBefore.recordCount,
                logAfter.recordCount, Double(logBefore.storedBytes) / 1e6, Double(logAfter.storedBytes) / 1e6))
        #expect(stats.segmentsBefore >= 5)
        #expect(stats.recordsAfter <= UInt64(keys))
        #expect(stats.bytesAfter * 20 < stats.bytesBefore)
        #expect(stats.keys == keys)
        #expect(dry.recordsAfter == stats.recordsAfter && dry.bytesAfter == stats.bytesAfter)
    }
}
