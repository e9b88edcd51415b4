// SPDX-License-Identifier: Apache-2.0
// Retention deletes whole segments from the old end: by size (the newer
// segments keep at least the limit), by age (largest timestamp before the
// cut-off), never the active segment, never past a named cursor's committed
// position when asked, nothing in a dry run or while other maintenance runs;
// cursors then start at the new first offset and the writer goes on.
import EventLogFormat
import EventLogStorage
import Foundation
import Testing

@Suite struct RetentionTests {
    static let start: Int64 = 1_700_000_000_000
    static let minute: Int64 = 60_000

    /// A log of 48 records of 1000 bytes, record i at start + i minutes, in
    /// segments of 4096 bytes (3 records each); the writer stays open.
    private func makeLog(_ path: String) throws -> LogDirectory {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 4096
        configuration.compression = .none
        let directory = try LogDirectory.open(path: path, configuration: configuration)
        let value = [UInt8](repeating: 42, count: 1000)
        for i in 0..<48 {
            try value.withUnsafeBytes { bytes in
                _ = try directory.writer!.append(count: 1) { _ in
                    RawRecord(
                        timestamp: Self.start + Int64(i) * Self.minute, key: nil, value: bytes,
                        headers: UnsafeBufferPointer(start: nil, count: 0))
                }
            }
            try directory.writer!.flush()
        }
        return directory
    }

    private func bases(_ path: String) throws -> [Int64] { try SegmentCatalog.listBases(directory: path) }

    private func size(_ path: String, _ base: Int64) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: SegmentFileName.path(directory: path, base: base, .log))[.size]
            as! Int
    }

    private func offsets(_ directory: LogDirectory) throws -> [Int64] {
        let cursor = try LogCursor(state: directory.state, endOffset: { directory.endOffset }, offset: LogCursor.oldest)
        var offsets: [Int64] = []
        while try cursor.read(maxCount: 100, timeoutMilliseconds: 0) > 0 { offsets += cursor.records.map(\.offset) }
        return offsets
    }

    @Test func bySizeKeepsAtLeastTheLimitInNewerSegments() throws {
        let scratch = TemporaryDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let path = scratch.child("log")
        let directory = try makeLog(path)
        let before = try bases(path)
        #expect(before.count == 16)
        let limit = 5 * 3100
        let report = try Retention.apply(
            directory: path, retentionBytes: UInt64(limit), retentionMilliseconds: 0, keepUncommittedCursors: false)
        let after = try bases(path)
        #expect(report.deletedSegments == Array(before.prefix(before.count - after.count)))
        #expect(report.startOffset == after.first)
        // The active file is preallocated: its data is what the writer published.
        let sizes =
            try after.dropLast().map { try size(path, $0) } + [
                Int(directory.state.snapshot().state.committedPosition)
            ]
        #expect(sizes.reduce(0, +) >= limit)
        #expect(sizes.dropFirst().reduce(0, +) < limit, "the first remaining segment should have gone")
        #expect(try offsets(directory) == Array(after.first!..<48))
        #expect(directory.startOffset == after.first!)
        #expect(throws: EventLogError.self) {
            _ = try LogCursor(state: directory.state, endOffset: { directory.endOffset }, offset: 0)
        }
        try directory.close()
    }

    @Test func byAgeDeletesSegmentsWhoseRecordsAreAllOlder() throws {
        let scratch = TemporaryDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let path = scratch.child("log")
        let directory = try makeLog(path)
        let now = Self.start + 60 * Self.minute
        let report = try Retention.apply(
            directory: path, retentionBytes: 0, retentionMilliseconds: 40 * Self.minute, keepUncommittedCursors: false,
            now: now)
        // Records 0...19 are older than 40 minutes; segments hold 3 each.
        #expect(report.deletedSegments == stride(from: 0, to: 18, by: 3).map { Int64($0) })
        #expect(try offsets(directory).first == 18)
        try directory.close()
    }

    @Test func neverTheActiveSegmentAndNeverPastAnUncommittedCursor() throws {
        let scratch = TemporaryDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let path = scratch.child("log")
        let directory = try makeLog(path)
        try CursorStore.store(directory: path, name: "slow", nextOffset: 10, mode: 0o644)
        try CursorStore.store(directory: path, name: "fast", nextOffset: 40, mode: 0o644)
        var report = try Retention.apply(
            directory: path, retentionBytes: 1, retentionMilliseconds: 0, keepUncommittedCursors: true)
        // Offset 10 is in the segment at 9: only the segments before it go.
        #expect(report.deletedSegments == [0, 3, 6])
        #expect(report.heldBy == "slow")
        report = try Retention.apply(
            directory: path, retentionBytes: 1, retentionMilliseconds: 1, keepUncommittedCursors: false,
            now: Self.start + 10_000 * Self.minute)
        #expect(try bases(path) == [45])
        #expect(report.heldBy == nil)
        // The writer goes on.
        try [UInt8](repeating: 1, count: 10).withUnsafeBytes { bytes in
            _ = try directory.writer!.append(count: 1) { _ in
                RawRecord(timestamp: 0, key: nil, value: bytes, headers: UnsafeBufferPointer(start: nil, count: 0))
            }
        }
        try directory.writer!.flush()
        #expect(try offsets(directory) == Array(45...48))
        try directory.close()
    }

    @Test func dryRunAndBusyChangeNothing() throws {
        let scratch = TemporaryDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let path = scratch.child("log")
        let directory = try makeLog(path)
        let before = try bases(path)
        let dry = try Retention.apply(
            directory: path, retentionBytes: 1, retentionMilliseconds: 0, keepUncommittedCursors: false, dryRun: true)
        #expect(dry.deletedSegments.count == before.count - 1)
        #expect(try bases(path) == before)
        var configuration = LogConfiguration()
        configuration.retentionBytes = 1
        do {
            let lock = try #require(try MaintenanceLock.acquire(directory: path, wait: false))
            #expect(throws: EventLogError.self) {
                _ = try Retention.apply(
                    directory: path, retentionBytes: 1, retentionMilliseconds: 0, keepUncommittedCursors: false)
            }
            #expect(Retention.applyAfterRoll(directory: path, configuration: configuration)?.skippedBusy == true)
            #expect(try bases(path) == before)
            withExtendedLifetime(lock) {}
        }
        // After a roll the writer names the new active segment: the one it
        // just left may go too (here the last listed stays either way).
        #expect(
            Retention.applyAfterRoll(directory: path, configuration: configuration, activeBase: before.last!)?
                .deletedSegments.count == before.count - 1)
        try directory.close()
    }
}
