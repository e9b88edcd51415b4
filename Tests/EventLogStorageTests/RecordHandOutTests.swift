// SPDX-License-Identifier: Apache-2.0
// RecordHandOut: the records of a loaded batch go out from the cursor's
// offset on, in runs or one at a time, into its own array or a caller's
// buffer alike, and the offset moves past the batch even where compaction
// left no record at its end.
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

    @Test func takesIntoACallersBufferWhatItWouldTakeIntoItsOwn() {
        // Headers on some records, over two calls: each call's header
        // ranges index the headers that call took.
        func batch() -> RecordHandOut {
            var handOut = Self.handOut([10, 11, 12, 13, 14])
            let key = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: 0x1000), count: 1)
            handOut.batchHeaders = (0..<3).map { _ in HeaderView(key: key, value: nil) }
            handOut.batchRecords[1].headerStart = 0
            handOut.batchRecords[1].headerCount = 2
            for index in 2..<5 { handOut.batchRecords[index].headerStart = 2 }
            handOut.batchRecords[3].headerCount = 1
            handOut.batchRecords[4].headerStart = 3
            return handOut
        }
        var own = batch()
        var direct = batch()
        var nextOwn: Int64 = 10
        var nextDirect: Int64 = 10
        var buffer = Array(repeating: own.batchRecords[0], count: 3)
        for _ in 0..<2 {
            own.beginCall()
            own.take(maxCount: 3, nextOffset: &nextOwn, batchEnd: 20)
            buffer.withUnsafeMutableBufferPointer { out in
                direct.beginCall(into: out.baseAddress)
                direct.take(maxCount: 3, nextOffset: &nextDirect, batchEnd: 20)
            }
            let taken = buffer.prefix(direct.taken)
            #expect(direct.records.isEmpty && direct.taken == own.records.count)
            #expect(taken.map(\.offset) == own.records.map(\.offset) && nextDirect == nextOwn)
            #expect(taken.map(\.headerStart) == own.records.map(\.headerStart))
            #expect(taken.map(\.headerCount) == own.records.map(\.headerCount))
            #expect(direct.headers.count == own.headers.count)
        }
        #expect(nextDirect == 20)
    }
}
