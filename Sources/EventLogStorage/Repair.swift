// SPDX-License-Identifier: Apache-2.0
// `recover`, for a log directory that no writer has open: inspect, plan
// (RecoveryPlan: what stays, what is quarantined or cut and why), then act.
// It holds the writer lock and the maintenance lock throughout, so it never
// runs beside a writer, a compaction or retention (EBUSY). A segment that
// loses bytes is rewritten by copying what stays to a new file renamed over
// the old one, because readers in other processes may map the old file and
// would fault on pages an in-place truncation removed (only an unpublished
// tail of the last segment is cut in place); damaged bytes are copied into
// the quarantine folder and synced before their segment is replaced; the
// indexes of every changed segment are rebuilt; the head file is then
// republished so that readers, and the next writer, see the new end.
internal import EventLogFormat
import Glibc

package enum Repair {
    /// Plans the recovery of `directory` and, unless `dryRun`, applies it.
    /// A dry run changes no file of the log (it takes the locks all the same,
    /// so that the plan is what a run now would do).
    /// `progress` is told as the segments are checked, before the plan is
    /// carried out.
    package static func recover(
        directory: String, mode: RecoveryPlan.Mode = .keepIntact, dryRun: Bool = false,
        progress: Verifier.Progress? = nil
    ) throws(EventLogError) -> RecoveryPlan {
        try LogPresence.require(directory: directory)
        let lock = try WriterLock.acquire(directory: directory, mode: 0o644)
        // Compaction and retention run beside a writer, so they are kept out
        // by a lock of their own; a replacement they left half done is
        // finished (or undone) first, as a writable open would.
        let maintenance = try MaintenanceLock.acquireOrFail(directory: directory, wait: false)
        defer { withExtendedLifetime((lock, maintenance)) {} }
        if !dryRun {
            _ = try SegmentSwap.recover(directory: directory, head: HeadFile.openForReader(directory: directory))
        }
        let inspection = try Verifier.inspect(directory: directory, writerExcluded: true, progress: progress)
        let plan = RecoveryPlan(inspection, directory: directory, mode: mode)
        if !dryRun { try apply(plan, directory: directory) }
        return plan
    }

    private static func apply(_ plan: RecoveryPlan, directory: String) throws(EventLogError) {
        let quarantine = directory + "/" + RecoveryPlan.quarantineFolder
        let quarantines = !plan.strangers.isEmpty || plan.removals.contains { $0.quarantine != nil }
        if quarantines { try FileSystem.makeDirectory(quarantine, mode: 0o755) }
        for moved in plan.strangers {
            // Indexes named after a stranger index no segment of this log;
            // they are derived data, and the stranger itself is kept.
            for kind in [SegmentFileKind.offsetIndex, .timeIndex] {
                let index = SegmentFileName.path(directory: directory, base: moved.stranger.base, kind)
                if SegmentIdentity.nonRegularKind(index) == nil { try FileSystem.remove(index) }
            }
            try FileSystem.rename(moved.stranger.path, moved.destination)
        }
        // Last first, so that a crash part way leaves a log without gaps.
        for base in plan.deletedSegments.reversed() { try SegmentSwap.removeSegment(directory: directory, base: base) }
        for (i, segment) in plan.segments.enumerated() {
            let removals = plan.removals.filter { $0.base == segment.base }
            if removals.isEmpty { continue }
            try rewrite(segment, removing: removals, isLast: i == plan.segments.count - 1, head: plan.head)
        }
        var lastReplay: (IndexReplay, size: Int)?
        for (i, segment) in plan.segments.enumerated()
        where plan.indexRebuilds.contains(segment.base) || i == plan.segments.count - 1 {
            lastReplay = try rebuildIndexes(directory: directory, segment: segment)
        }
        try FileSystem.syncDirectory(directory)
        if quarantines { try FileSystem.syncDirectory(quarantine) }
        if let first = plan.segments.first, let last = plan.segments.last, let (replay, size) = lastReplay {
            republishHead(
                directory: directory, first: first.base, last: last.base, size: size, nextOffset: plan.nextOffset,
                replay: replay)
        }
    }

    /// Copies the removed ranges that are quarantined to their side files,
    /// then replaces the segment by what stays: in place when only an
    /// unpublished tail of the last segment goes, else by copy and rename.
    private static func rewrite(
        _ segment: Verifier.InspectedSegment, removing removals: [RecoveryPlan.Removal], isLast: Bool,
        head: HeadState?
    ) throws(EventLogError) {
        let source = try FileHandle.open(segment.logPath, flags: O_RDONLY)
        let mode = try source.permissions()
        let region = try source.map(length: segment.fileSize, writable: false)
        let bytes = region.bytes(0..<segment.fileSize)
        var kept: [Range<Int>] = []
        var at = 0
        for removal in removals.sorted(by: { $0.range.start < $1.range.start }) {
            let (start, end) = (removal.range.start, removal.range.end)
            if let side = removal.quarantine {
                try IndexRebuild.replace(side, with: Array(bytes[start..<end]), mode: mode)
            }
            if start > at { kept.append(at..<start) }
            at = max(at, end)
        }
        if at < bytes.count { kept.append(at..<bytes.count) }
        let length = kept.reduce(0) { $0 + $1.count }
        // In place only where no reader can be reading at or past the cut:
        // readers of the active segment stop at what the head published.
        let unpublished = head.map { $0.activeBase == segment.base && Int64(length) >= $0.committedPosition } ?? false
        if isLast && kept.count <= 1 && kept.first?.lowerBound ?? 0 == 0 && unpublished {
            let file = try FileHandle.open(segment.logPath, flags: O_RDWR)
            try file.truncate(to: length)
            try file.syncData()
            return
        }
        let temporary = segment.logPath + ".rebuild"
        let copy = try FileHandle.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        var done = 0
        for range in kept {
            try copy.write(UnsafeRawBufferPointer(rebasing: bytes[range]), at: done)
            done += range.count
        }
        try copy.truncate(to: length)
        try copy.syncData()
        try FileSystem.rename(temporary, segment.logPath)
    }

    /// Rebuilds the segment's indexes from its file as it is now; returns
    /// the replay and the file's size.
    private static func rebuildIndexes(directory: String, segment: Verifier.InspectedSegment) throws(EventLogError)
        -> (IndexReplay, size: Int)
    {
        let log = try FileHandle.open(segment.logPath, flags: O_RDONLY)
        let region = try log.mapAll()
        let replay = IndexRebuild.replay(region.all, base: segment.base)
        try IndexRebuild.write(replay, directory: directory, mode: try log.permissions())
        return (replay, region.length)
    }

    /// Tells readers, and the next writer, where the log now ends. A
    /// directory without a valid head file (plain Kafka) gets none.
    private static func republishHead(
        directory: String, first: Int64, last: Int64, size: Int, nextOffset: Int64, replay: IndexReplay
    ) {
        guard let folder = try? DirectoryHandle.open(directory), let existing = HeadFile.openForReader(in: folder),
            let head = try? HeadFile.openForWriter(in: folder, mode: 0o644)
        else { return }
        head.publish(
            HeadState(
                activeBase: last, committedPosition: Int64(size), nextOffset: nextOffset, startOffset: first,
                offsetIndexEntries: UInt32(replay.offsetEntries.count),
                timeIndexEntries: UInt32(replay.timeEntries.count),
                catalogVersion: existing.read().state.catalogVersion &+ 1, activeMaxTimestamp: replay.maxTimestamp))
        head.noteSegmentsChanged()
    }
}
