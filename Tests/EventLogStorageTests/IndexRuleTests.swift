// SPDX-License-Identifier: Apache-2.0
// IndexRule: which batches get index entries (Kafka's LogSegment.append),
// the rule the active segment, the index rebuild and the cleaner share.
import EventLogFormat
import Testing

@testable import EventLogStorage

@Suite struct IndexRuleTests {
    @Test func anEntryAfterMoreThanTheIntervalIsWritten() {
        var rule = IndexRule(base: 1000)
        var entries: [OffsetIndexEntry] = []
        var position = 0
        for batch in 0..<100 {
            let first = 1000 + Int64(batch) * 10
            if let entry = rule.add(header(first, first + 9, size: 1000), at: position, size: 1000) {
                entries.append(entry)
            }
            position += 1000
        }
        // 1000-byte batches: an entry at every fifth batch from the sixth on
        // (more than 4096 bytes since the last entry, Kafka's `>`).
        #expect(entries.count == 19)
        #expect(entries.first == OffsetIndexEntry(relativeOffset: 59, position: 5000))
        #expect(entries.dropFirst().first == OffsetIndexEntry(relativeOffset: 109, position: 10_000))
    }

    @Test func timeEntriesOnlyGrow() {
        var rule = IndexRule(base: 0)
        #expect(rule.timeEntry() == nil)
        _ = rule.add(header(0, 9, maxTimestamp: 500), at: 0, size: 100)
        #expect(rule.timeEntry() == TimeIndexEntry(timestamp: 500, relativeOffset: 9))
        #expect(rule.timeEntry() == nil)
        _ = rule.add(header(10, 19, maxTimestamp: 400), at: 100, size: 100)
        #expect(rule.timeEntry() == nil)
        _ = rule.add(header(20, 29, maxTimestamp: 600), at: 200, size: 100)
        #expect(rule.timeEntry() == TimeIndexEntry(timestamp: 600, relativeOffset: 29))
    }

    @Test func aResumedRuleGoesOnFromItsState() {
        var rule = IndexRule(
            base: 0, bytesSinceEntry: 4000, maxTimestamp: 700, maxTimestampOffset: 5, lastIndexedTimestamp: 700)
        #expect(rule.add(header(10, 19, maxTimestamp: 10), at: 8000, size: 100) == nil)
        #expect(
            rule.add(header(20, 29, maxTimestamp: 10), at: 8100, size: 100)
                == OffsetIndexEntry(relativeOffset: 29, position: 8100))
        #expect(rule.timeEntry() == nil)
    }
}
