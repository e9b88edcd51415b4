// SPDX-License-Identifier: Apache-2.0
// Index entries: the order they must keep to be trusted (verify, recovery
// and the open-time index check all accept an index prefix by this rule),
// and the bytes the index writers put in files.
import EventLogFormat
import Testing

@Suite struct IndexEntryOrderTests {
    @Test func offsetEntriesRiseStrictlyAndNeverNamePositionZero() {
        let first = OffsetIndexEntry(relativeOffset: 10, position: 4200)
        #expect(first.follows(nil))
        #expect(!OffsetIndexEntry(relativeOffset: 10, position: 0).follows(nil))
        #expect(!OffsetIndexEntry(relativeOffset: -1, position: 4200).follows(nil))
        #expect(OffsetIndexEntry(relativeOffset: 11, position: 8400).follows(first))
        #expect(!OffsetIndexEntry(relativeOffset: 10, position: 8400).follows(first))
        #expect(!OffsetIndexEntry(relativeOffset: 11, position: 4200).follows(first))
    }

    @Test func timeEntriesRiseInTimeAndNeverFallInOffset() {
        let first = TimeIndexEntry(timestamp: 1000, relativeOffset: 10)
        #expect(first.follows(nil))
        #expect(TimeIndexEntry(timestamp: 0, relativeOffset: 0).follows(nil))
        #expect(!TimeIndexEntry(timestamp: -1, relativeOffset: 0).follows(nil))
        #expect(TimeIndexEntry(timestamp: 1001, relativeOffset: 10).follows(first))
        #expect(!TimeIndexEntry(timestamp: 1000, relativeOffset: 11).follows(first))
        #expect(!TimeIndexEntry(timestamp: 1001, relativeOffset: 9).follows(first))
    }

    @Test func entriesAreWrittenAsTheFileHoldsThem() {
        let offsets = [
            OffsetIndexEntry(relativeOffset: 1, position: 2), OffsetIndexEntry(relativeOffset: 3, position: 4),
        ]
        #expect(offsets.fileBytes == [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4])
        let times = [TimeIndexEntry(timestamp: 0x0102, relativeOffset: 7)]
        #expect(times.fileBytes == [0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 7])
        #expect([OffsetIndexEntry]().fileBytes.isEmpty)
    }
}
