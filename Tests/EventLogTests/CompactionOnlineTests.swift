// SPDX-License-Identifier: Apache-2.0
// Compaction online: while a writer appends (rolling small segments) and a
// follower reads from its own read-only handle, compactions run again and
// again. The follower never fails, sees offsets strictly increasing and each
// record exactly as written, and sees every key's final record; the log
// afterwards holds each key's latest record and nothing that was not written.
import EventLog
import Foundation
import Synchronization
import Testing

@Suite struct CompactionOnlineTests {
    static let keys = 40

    static func record(_ offset: UInt64) -> Record {
        let key = offset % 97 == 5 ? nil : Array("key-\(offset % UInt64(keys))".utf8)
        let value: [UInt8]? = offset % 13 == 0 ? nil : Array("value-\(offset)-".utf8) + [UInt8](repeating: 1, count: 80)
        return Record(offset: offset, timestamp: 1_700_000_000_000 + Int64(offset), key: key, value: value)
    }

    @Test func compactionRunsBesideAWriterAndAFollower() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        var options = EventLogOptions()
        options.segmentBytes = 4096
        options.linger = .microseconds(200)
        let log = try EventLog(path: path, options: options)
        let total: UInt64 = 20_000
        let writerDone = Atomic<Bool>(false)
        let followerDone = Atomic<Bool>(false)
        let problems = Locked<[String]>([])
        let lastSeen = Locked<[[UInt8]: UInt64]>([:])

        Thread {
            for offset in 0..<total {
                let record = Self.record(offset)
                do {
                    try log.append(key: record.key, value: record.value, timestamp: record.timestamp)
                    if offset % 50 == 0 { try log.flush() }
                } catch {
                    problems.withLock { $0.append("append \(offset): \(error)") }
                }
            }
            try? log.flush()
            writerDone.store(true, ordering: .releasing)
        }.start()

        Thread {
            defer { followerDone.store(true, ordering: .releasing) }
            var readOnly = EventLogOptions()
            readOnly.readOnly = true
            do {
                let reader = try EventLog(path: path, options: readOnly)
                let cursor = try reader.cursor(from: .oldest)
                var previous: UInt64?
                while true {
                    guard let record = try cursor.next(timeout: .milliseconds(50)) else {
                        if writerDone.load(ordering: .acquiring) && cursor.offset >= total { break }
                        continue
                    }
                    if let previous, record.offset <= previous {
                        problems.withLock { $0.append("offset \(record.offset) after \(previous)") }
                    }
                    if record != Self.record(record.offset) {
                        problems.withLock { $0.append("record \(record.offset) differs") }
                    }
                    if let key = record.key { lastSeen.withLock { $0[key] = record.offset } }
                    previous = record.offset
                }
                try reader.close()
            } catch {
                problems.withLock { $0.append("follower: \(error)") }
            }
        }.start()

        var compactions = 0
        var removed: UInt64 = 0
        var compact = CompactOptions()
        compact.maxSegmentBytes = 16 << 10
        while !followerDone.load(ordering: .acquiring) {
            let stats = try EventLog.compact(at: path, options: compact)
            removed += stats.recordsBefore - stats.recordsAfter
            compactions += 1
        }
        try log.close()
        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0.prefix(5) })")
        #expect(compactions >= 3)
        #expect(removed > 0)

        var latest: [[UInt8]: UInt64] = [:]
        for offset in 0..<total { if let key = Self.record(offset).key { latest[key] = offset } }
        #expect(lastSeen.withLock { $0 } == latest)
        let final = try CompactionFixture.readAll(path)
        #expect(final.allSatisfy { $0 == Self.record($0.offset) })
        let present = Set(final.map(\.offset))
        #expect(latest.values.allSatisfy { present.contains($0) })
        #expect(final.count < Int(total))
        let report = try EventLog.verify(at: path)
        #expect(report.isSound, "\(report.problems.prefix(3))")
    }

    /// A cursor that has read a closed segment to its end while compaction
    /// merged that segment and the ones after it into a segment listed
    /// before it goes on in the merged segment, not after the merge group.
    @Test func cursorFinishingASegmentThatWasMergedBackwardsMissesNothing() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        var options = EventLogOptions()
        options.segmentBytes = 4096
        options.compression = .none
        let log = try EventLog(path: path, options: options)
        // Flushes cut the batches, not the linger timer: on a loaded machine
        // one batch could take every record and make a single segment.
        for offset in 0..<UInt64(2000) {
            _ = try log.append(Self.record(offset))
            if offset % 20 == 19 { try log.flush() }
        }
        let bases = CompactionFixture.segmentBases(path)
        try #require(bases.count > 6)
        let cursor = try log.cursor(from: .oldest)
        while cursor.offset < bases[3] { _ = try cursor.next() }
        // The cursor now stands at the end of segment 2: its next read leaves it.
        var compact = CompactOptions()
        compact.maxSegmentBytes = 1 << 20
        _ = try EventLog.compact(at: path, options: compact)
        #expect(CompactionFixture.segmentBases(path).count == 2, "one merged segment and the active one")

        let survivors = try CompactionFixture.readAll(path).map(\.offset).filter { $0 >= bases[3] }
        var read: [UInt64] = []
        while let record = try cursor.next() { read.append(record.offset) }
        #expect(read == survivors)
        try log.close()
    }
}
