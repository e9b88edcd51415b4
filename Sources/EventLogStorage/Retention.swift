// SPDX-License-Identifier: Apache-2.0
// Retention: deleting whole segments from the old end of the log, by total
// size and by age, as Kafka's retention.bytes and retention.ms do. A segment
// goes by size when the segments after it already hold at least
// `retentionBytes` of `.log` data, and by age when its largest record
// timestamp is more than `retentionMilliseconds` before now; deleting stops
// at the first segment that may stay, so the log never gets a hole. The last
// segment (the active one) is never deleted. Optionally, data a named cursor
// has not committed past is kept: no segment holding an offset at or above
// the smallest committed position goes. Run by the writer after each roll
// and by `eventlog retention`; it takes the maintenance lock.
internal import EventLogFormat
import Glibc

package enum Retention {
    package struct Report: Equatable, Sendable {
        /// Base offsets of the segments deleted (or, in a dry run, that would be).
        package var deletedSegments: [Int64] = []
        /// Their `.log` bytes.
        package var deletedBytes = 0
        /// The first offset of the log afterwards.
        package var startOffset: Int64 = 0
        /// Set when deletion stopped because the named cursor `heldBy` had not
        /// committed past the next segment.
        package var heldBy: String? = nil
        /// True when nothing was done because other maintenance held the lock
        /// (only without waiting for it).
        package var skippedBusy = false
    }

    /// Deletes the oldest segments that the limits put out of the log; 0
    /// disables a limit. `now` is ms since the epoch. Fails with `busy` if
    /// other maintenance runs, unless `waitForLock`.
    package static func apply(
        directory: String, retentionBytes: UInt64, retentionMilliseconds: Int64, keepUncommittedCursors: Bool,
        now: Int64 = wallClockMilliseconds(), waitForLock: Bool = false, dryRun: Bool = false
    ) throws(EventLogError) -> Report {
        try LogPresence.require(directory: directory)
        guard retentionMilliseconds >= 0 else {
            throw EventLogError(.invalidArgument, "retention_ms: \(retentionMilliseconds) is negative")
        }
        let lock = dryRun ? nil : try MaintenanceLock.acquireOrFail(directory: directory, wait: waitForLock)
        defer { withExtendedLifetime(lock) {} }
        return try applyLocked(
            directory: directory, retentionBytes: retentionBytes, retentionMilliseconds: retentionMilliseconds,
            keepUncommittedCursors: keepUncommittedCursors, now: now, dryRun: dryRun)
    }

    /// What the writer runs after a roll to the new segment `activeBase`: the
    /// log's own limits, skipped when both are 0 or when other maintenance
    /// holds the lock. Errors are ignored: retention must never stop appends,
    /// and the next roll (or `eventlog retention`) tries again.
    @discardableResult
    package static func applyAfterRoll(
        directory: String, configuration: LogConfiguration, activeBase: Int64? = nil
    ) -> Report? {
        guard configuration.retentionBytes > 0 || configuration.retentionMilliseconds > 0 else { return nil }
        guard let lock = try? MaintenanceLock.acquire(directory: directory, wait: false) else {
            return Report(skippedBusy: true)
        }
        defer { withExtendedLifetime(lock) {} }
        return try? applyLocked(
            directory: directory, retentionBytes: configuration.retentionBytes,
            retentionMilliseconds: configuration.retentionMilliseconds,
            keepUncommittedCursors: configuration.retainUncommitted, now: wallClockMilliseconds(), dryRun: false,
            activeBase: activeBase)
    }

    private static func applyLocked(
        directory: String, retentionBytes: UInt64, retentionMilliseconds: Int64, keepUncommittedCursors: Bool,
        now: Int64, dryRun: Bool, activeBase newActive: Int64? = nil
    ) throws(EventLogError) -> Report {
        let head = HeadFile.openForReader(directory: directory)
        if !dryRun { _ = try SegmentSwap.recover(directory: directory, head: head) }
        var report = Report()
        let bases = try SegmentCatalog.listBases(directory: directory)
        guard let first = bases.first else { return report }
        report.startOffset = first
        let published = head?.published
        // The writer rolling to a segment it has not published yet knows better than the head.
        let activeBase = newActive ?? published?.activeBase
        // The active segment's file is preallocated beyond its data while a
        // writer runs: count what the writer published instead.
        let sizes = bases.map { base in
            base == published?.activeBase
                ? Int(max(0, published!.committedPosition))
                : (try? FileSystem.status(of: SegmentFileName.path(directory: directory, base: base, .log)))
                    .map { Int($0.st_size) } ?? 0
        }
        var remaining = sizes.reduce(0, +)
        let folder = retentionMilliseconds > 0 ? try DirectoryHandle.open(directory) : nil
        let floor =
            try keepUncommittedCursors
            ? CursorStore.list(directory: directory).min { $0.nextOffset < $1.nextOffset } : nil
        for i in 0..<(bases.count - 1) {
            let base = bases[i]
            if let activeBase, base >= activeBase { break }
            let bySize = retentionBytes > 0 && remaining - sizes[i] >= Int(clamping: retentionBytes)
            let byAge =
                folder.map {
                    now.subtractingReportingOverflow(largestTimestamp(in: $0, base: base)).partialValue
                        > retentionMilliseconds
                } ?? false
            guard bySize || byAge else { break }
            // Every offset of the segment is below the next one's base.
            if let floor, bases[i + 1] > floor.nextOffset {
                report.heldBy = floor.name
                break
            }
            if !dryRun { try SegmentSwap.removeSegment(directory: directory, base: base) }
            remaining -= sizes[i]
            report.deletedSegments.append(base)
            report.deletedBytes += sizes[i]
            report.startOffset = bases[i + 1]
        }
        if !dryRun && !report.deletedSegments.isEmpty {
            try FileSystem.syncDirectory(directory)
            head?.noteSegmentsChanged()
        }
        return report
    }

    /// The largest record timestamp of a closed segment, as a cursor seeking
    /// by time finds it (SegmentReader.maxTimestamp); −1 if it has no record
    /// or cannot be read.
    static func largestTimestamp(in folder: DirectoryHandle, base: Int64) -> Int64 {
        guard let reader = try? SegmentReader(folder: folder, base: base, active: false) else { return -1 }
        return reader.maxTimestamp(limit: reader.mappedFileSize)
    }
}
