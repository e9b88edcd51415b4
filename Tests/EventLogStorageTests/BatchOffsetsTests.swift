// SPDX-License-Identifier: Apache-2.0
// BatchOffsets: where a batch's offsets may lie among its neighbours, the
// rule the cursor, verify and recovery share.
import EventLogFormat
import Testing

@testable import EventLogStorage

@Suite struct BatchOffsetsTests {
    @Test func aBatchBetweenItsNeighboursIsSound() {
        let offsets = BatchOffsets(segmentBase: 100, lower: 110, nextBatchBase: 120, end: nil, published: nil)
        #expect(offsets.problem(header(110, 119)) == nil)
        #expect(offsets.problem(header(112, 115)) == nil)  // compaction leaves gaps
    }

    @Test func eachNeighbourBoundsTheOffsets() {
        var offsets = BatchOffsets(segmentBase: 100, lower: 110)
        #expect(offsets.problem(header(109, 115)) == .goesBack)
        #expect(offsets.problem(header(110, 100 + Int64(Int32.max) + 1)) == .pastRelativeRange)
        offsets.nextBatchBase = 120
        #expect(offsets.problem(header(110, 120)) == .overlapsNext(120))
        offsets.nextBatchBase = nil
        offsets.end = 115
        #expect(offsets.problem(header(110, 115)) == .reachesEnd(115))
        #expect(offsets.problem(header(110, 114)) == nil)
        offsets.published = 114
        #expect(offsets.problem(header(110, 114)) == .disagreesWithPublished(114))
        offsets.published = 115
        #expect(offsets.problem(header(110, 114)) == nil)
    }

    @Test func theNextBatchBoundsInsteadOfTheEnd() {
        // A batch follows: the end of the segment is its concern, not this one's.
        let offsets = BatchOffsets(segmentBase: 0, lower: 0, nextBatchBase: 50, end: 10, published: nil)
        #expect(offsets.problem(header(0, 49)) == nil)
    }

    @Test func theNextHeaderIsReadWithoutItsCRC() {
        var bytes = [UInt8](repeating: 0, count: 2 * RecordBatchHeader.size)
        bytes.withUnsafeMutableBytes { header(42, 50, size: RecordBatchHeader.size).write(to: $0.baseAddress! + 61) }
        bytes.withUnsafeBytes { raw in
            #expect(BatchOffsets.baseOffset(in: raw, at: 61, limit: raw.count) == 42)
            #expect(BatchOffsets.baseOffset(in: raw, at: 61, limit: raw.count - 1) == nil)
            #expect(BatchOffsets.baseOffset(in: raw, at: raw.count, limit: raw.count) == nil)
        }
    }
}
