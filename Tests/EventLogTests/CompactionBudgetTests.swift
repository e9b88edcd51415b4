// SPDX-License-Identifier: Apache-2.0
// Compaction under a memory budget: when the map from keys to their latest
// offsets would not fit, compaction runs in passes over shares of the keys
// and ends with exactly what one unbounded pass leaves; a dry run under a
// budget predicts it; a budget too small to be useful is refused.
import EventLog
import Foundation
import Testing

@Suite struct CompactionBudgetTests {
    static let now: Int64 = 1_700_000_000_000

    /// 30,000 records over 20,000 keys (tombstones, records without a key),
    /// in 32 KiB segments; the writer is closed, so every segment but the
    /// last is closed.
    private func makeLog(_ path: String) throws {
        var options = EventLogOptions()
        options.segmentBytes = 32 << 10
        options.batchMaxBytes = 64 << 10
        let log = try EventLog(path: path, options: options)
        var generator = SeededGenerator(seed: 77)
        for round in 0..<300 {
            let batch = CompactionFixture.randomBatch(
                &generator, count: 100, keyCount: 20_000, valueBytes: 20, time: Self.now + Int64(round) * 1000)
            _ = try log.append(contentsOf: batch)
        }
        try log.close()
    }

    private func compactOptions(budget: UInt64 = 0, dryRun: Bool = false) -> CompactOptions {
        var options = CompactOptions()
        options.currentTimeMilliseconds = Self.now + 3_600_000
        options.deleteRetentionMilliseconds = 60_000
        options.memoryBudget = budget
        options.dryRun = dryRun
        return options
    }

    @Test func passesOverSharesOfTheKeysLeaveWhatOnePassLeaves() throws {
        let dir = TemporaryDirectory()
        let unbounded = dir.child("unbounded")
        try makeLog(unbounded)
        let bounded = dir.child("bounded")
        try CompactionFixture.copyDirectory(unbounded, to: bounded)
        let predicted = dir.child("predicted")
        try CompactionFixture.copyDirectory(unbounded, to: predicted)

        let one = try EventLog.compact(at: unbounded, options: compactOptions())
        let budget = CompactOptions.minMemoryBudget
        let dryRun = try EventLog.compact(at: predicted, options: compactOptions(budget: budget, dryRun: true))
        let several = try EventLog.compact(at: bounded, options: compactOptions(budget: budget))

        #expect(one.passes == 1)
        #expect(several.passes > 1, "\(several)")
        #expect(one.recordsAfter < one.recordsBefore)
        let expected = try CompactionFixture.readAll(unbounded)
        #expect(try CompactionFixture.readAll(bounded) == expected)
        #expect(several.recordsBefore == one.recordsBefore && several.recordsAfter == one.recordsAfter)
        #expect(several.keys == one.keys)
        #expect(dryRun.passes == several.passes && dryRun.recordsAfter == one.recordsAfter)
        #expect(try CompactionFixture.readAll(predicted).count == 30_000, "a dry run changes nothing")
        #expect(try EventLog.verify(at: bounded).isSound)
    }

    @Test func aBudgetTooSmallIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try makeLog(path)
        #expect {
            try EventLog.compact(at: path, options: compactOptions(budget: CompactOptions.minMemoryBudget - 1))
        } throws: { ($0 as? EventLogError)?.code == .invalidArgument }
    }
}
