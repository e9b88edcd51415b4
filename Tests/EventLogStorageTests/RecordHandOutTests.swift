// SPDX-License-Identifier: Apache-2.0
// RecordHandOut: the records of a loaded batch go out from the cursor's
// offset on, in runs or one at a time, and the offset moves past the batch
// even where compaction left no record at its end.
import EventLogFormat
import Testing

@testable import EventLogStorage

@Suite struct RecordHandOutTests {
    /// A hand-out holding a batch with records at `offsets`.
    static func handOut(_ offsets: [Int64]) -> RecordHandOut {
        var handOut = RecordHandOut()
        handOut.batchRecords = offsets.map {
            RecordView(offset: $0, timestamp: 0, key: nil, value: nil, headerStart: 0, headerCount: 0)
        }
        return handOut
    }

    @Test func takesFromTheOffsetOnInRuns() {
        var handOut = Self.handOut([10, 11, 13, 14])
        var next: Int64 = 11
        handOut.take(maxCount: 2, nextOffset: &next, batchEnd: 20)
        #expect(handOut.records.map(\.offset) == [11, 13] && next == 14)
        handOut.beginCall()
        handOut.take(maxCount: 5, nextOffset: &next, batchEnd: 20)
        #expect(handOut.records.map(\.offset) == [14] && next == 20)
    }

    @Test func takesOneAtATimeAsReadsOfOneWould() {
        var one = Self.handOut([10, 11, 13, 14])
        var runs = Self.handOut([10, 11, 13, 14])
        var nextOne: Int64 = 11
        var nextRuns: Int64 = 11
        while true {
            runs.beginCall()
            runs.take(maxCount: 1, nextOffset: &nextRuns, batchEnd: 20)
            let taken = one.takeOne(nextOffset: &nextOne, batchEnd: 20)
            #expect(taken?.offset == runs.records.first?.offset)
            #expect(nextOne == nextRuns)
            if taken == nil { break }
        }
        #expect(nextOne == 20)
    }
}
