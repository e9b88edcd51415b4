// SPDX-License-Identifier: Apache-2.0
// The ship cursor's position follows the longest prefix of the log that is
// in Kafka: delivery reports that come back out of order (across partitions)
// do not move it past a record still in flight; records found already in
// Kafka count as delivered; gaps left by compaction are crossed. And the
// offset headers are Kafka's int64 encoding.
import Testing

@testable import EventLogKafka

@Suite struct DeliveryTrackerTests {
    @Test func positionWaitsForTheOldestRecordInFlight() {
        var tracker = DeliveryTracker(next: 10)
        for offset: UInt64 in 10...14 { tracker.produced(offset) }
        tracker.delivered(12)
        tracker.delivered(11)
        #expect(tracker.next == 10)
        #expect(tracker.outstanding == 3)
        tracker.delivered(10)
        #expect(tracker.next == 13)
        tracker.delivered(14)
        #expect(tracker.next == 13)
        tracker.delivered(13)
        #expect(tracker.next == 15)
        #expect(tracker.outstanding == 0)
    }

    @Test func skippedRecordsAndCompactionGaps() {
        var tracker = DeliveryTracker(next: 0)
        tracker.skipped(0)
        #expect(tracker.next == 1)
        tracker.produced(5)
        tracker.skipped(9)
        #expect(tracker.next == 1)
        tracker.delivered(5)
        #expect(tracker.next == 10)
    }

    @Test func aFailedRecordHoldsThePositionForever() {
        var tracker = DeliveryTracker(next: 0)
        for offset: UInt64 in 0..<10_000 { tracker.produced(offset) }
        for offset: UInt64 in 0..<10_000 where offset != 4_321 { tracker.delivered(offset) }
        #expect(tracker.next == 4_321)
        #expect(tracker.outstanding == 1)
    }

    @Test func offsetHeaderIsBigEndianInt64() {
        let bytes = OffsetHeader.encode(0x0102_0304_0506_0708)
        #expect(bytes == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(bytes.withUnsafeBytes { OffsetHeader.decode($0) } == 0x0102_0304_0506_0708)
        #expect([UInt8](repeating: 0, count: 7).withUnsafeBytes { OffsetHeader.decode($0) } == nil)
    }
}
