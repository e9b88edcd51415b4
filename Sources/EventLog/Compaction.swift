// SPDX-License-Identifier: Apache-2.0
// Maintenance of a log directory from Swift: `EventLog.compact(at:)`, Kafka's
// log cleaner over the closed segments, and `EventLog.applyRetention(at:)`,
// which deletes the oldest segments by size and age. Both work on a
// directory, not on an open log, and both may run while a writer appends
// and readers follow, in this process or others; one maintenance task runs
// per directory at a time. The CLI's `compact` and `retention` call these.
// The types here mirror storage results on purpose: see Exports.swift.
package import EventLogStorage

/// Settings of `EventLog.compact(at:)`, mirroring eventlog_compact_options.
public struct CompactOptions: Sendable {
    /// Kafka's delete.retention.ms default: 24 hours.
    public static let defaultDeleteRetentionMilliseconds = Compactor.Options.defaultDeleteRetentionMilliseconds

    /// How long a tombstone survives after the compaction that first cleaned
    /// it; 0 means the default. A consumer that lags by more than this may
    /// miss the tombstone.
    public var deleteRetentionMilliseconds: Int64 = defaultDeleteRetentionMilliseconds
    /// Merged segments stay at or below this many bytes; 0 = the size of the
    /// largest segment file in the log, so the log keeps its segment size.
    public var maxSegmentBytes: UInt64 = 0
    /// Memory the set of keys met so far may use, in bytes;
    /// 0 = as much as the distinct keys need (each costs its bytes plus 64
    /// to 128). When the keys do not fit, compaction runs in passes, each
    /// over one share of the keys by hash (as Kafka's cleaner does with its
    /// dedupe buffer), with the same result: the closed segments are then
    /// read and rewritten once per pass.
    public var memoryBudget: UInt64 = 0
    /// The smallest budget: less would compact a few thousand keys a pass.
    public static let minMemoryBudget: UInt64 = 1 << 20
    /// Threads that decode and rewrite the segments; 0 = one per core.
    /// Fewer leave cores to a writer and readers running beside.
    public var threads = 0
    /// Report what would be removed; change nothing.
    public var dryRun = false
    /// Wait for another compaction or retention of the directory to finish
    /// instead of failing with `busy`.
    public var waitForLock = false
    /// The time, in ms since the epoch, that starts and expires delete
    /// horizons; nil = the wall clock.
    public var currentTimeMilliseconds: Int64? = nil

    public init() {}
}

/// What a compaction did (or, in a dry run, would do). The counts cover the
/// closed segments examined, as eventlog_compact_stats does.
public struct CompactionStats: Equatable, Sendable {
    public var recordsBefore: UInt64
    public var recordsAfter: UInt64
    /// `.log` bytes of the segments examined and of what replaced them.
    public var bytesBefore: UInt64
    public var bytesAfter: UInt64
    public var segmentsBefore: Int
    public var segmentsAfter: Int
    /// Segments written anew; the others were left untouched.
    public var segmentsRewritten: Int
    /// Tombstones dropped because their delete horizon had passed.
    public var tombstonesRemoved: UInt64
    /// Distinct keys in the log.
    public var keys: Int
    /// Passes over the closed segments: 1 unless the keys did not fit
    /// `CompactOptions.memoryBudget`.
    public var passes: Int
    /// Wall-clock seconds the compaction took.
    public var seconds: Double
}

/// Progress of a compaction, reported after each segment.
public struct CompactionProgress: Sendable {
    public enum Phase: Sendable {
        /// Reading the keys of the active segment, which make older records
        /// obsolete.
        case mapping
        /// Rewriting the closed segments.
        case cleaning
    }

    public var phase: Phase
    public var bytesDone: UInt64
    public var bytesTotal: UInt64
}

/// Settings of `EventLog.applyRetention(at:)`; 0 disables a limit.
public struct RetentionOptions: Sendable {
    /// Delete the oldest segments while the newer ones hold at least this many bytes.
    public var retentionBytes: UInt64 = 0
    /// Delete the oldest segments whose records are all older than this.
    public var retentionMilliseconds: Int64 = 0
    /// Never delete a segment holding offsets a named cursor has not committed past.
    public var retainUncommitted = false
    /// Report what would be deleted; change nothing.
    public var dryRun = false
    /// Wait for other maintenance instead of failing with `busy`.
    public var waitForLock = false
    /// "Now" for the age limit, in ms since the epoch; nil = the wall clock.
    public var currentTimeMilliseconds: Int64? = nil

    public init() {}
}

/// What retention deleted (or, in a dry run, would delete).
public struct RetentionReport: Equatable, Sendable {
    /// Base offsets of the segments deleted, oldest first.
    public var deletedSegments: [UInt64]
    public var deletedBytes: UInt64
    /// The first offset of the log afterwards.
    public var startOffset: UInt64
    /// The named cursor whose uncommitted data stopped the deletion, if any.
    public var heldByCursor: String?
}

extension EventLog {
    /// Compacts the closed segments of the log in directory `path` with
    /// Kafka's semantics: the latest record of each key stays, older ones
    /// go; tombstones stay for `deleteRetentionMilliseconds` after the pass
    /// that first cleaned them, then go; records without a key always stay
    /// (Kafka would drop them); offsets never change, so cursors see gaps;
    /// runs of small segments are merged. Never touches the active segment.
    /// Killed at any point, it leaves a log that holds every record; the next
    /// writable open or compaction finishes the interrupted swap.
    public static func compact(
        at path: String, options: CompactOptions = CompactOptions(),
        progress: ((CompactionProgress) -> Void)? = nil
    ) throws(EventLogError) -> CompactionStats {
        try require(
            options.deleteRetentionMilliseconds >= 0,
            "delete_retention_ms: \(options.deleteRetentionMilliseconds) is negative")
        try require(
            options.maxSegmentBytes <= EventLogOptions.maxSegmentBytes,
            "max_segment_bytes: \(options.maxSegmentBytes) exceeds \(EventLogOptions.maxSegmentBytes)")
        try require((0...256).contains(options.threads), "threads: \(options.threads) is outside 0...256")
        try require(
            options.memoryBudget == 0 || options.memoryBudget >= CompactOptions.minMemoryBudget,
            "memory_budget: \(options.memoryBudget) bytes is below the minimum of \(CompactOptions.minMemoryBudget)")
        var settings = Compactor.Options()
        if options.deleteRetentionMilliseconds > 0 {
            settings.deleteRetentionMilliseconds = options.deleteRetentionMilliseconds
        }
        if options.maxSegmentBytes > 0 { settings.maxSegmentBytes = Int(options.maxSegmentBytes) }
        if options.memoryBudget > 0 { settings.memoryBudget = Int(clamping: options.memoryBudget) }
        if options.threads > 0 { settings.workers = options.threads }
        settings.dryRun = options.dryRun
        settings.waitForLock = options.waitForLock
        settings.now = options.currentTimeMilliseconds
        let started = monotonicNanoseconds()
        let stats = try Compactor.compact(directory: path, options: settings) { step in
            progress?(
                CompactionProgress(
                    phase: step.phase == .mapping ? .mapping : .cleaning, bytesDone: UInt64(step.bytesDone),
                    bytesTotal: UInt64(step.bytesTotal)))
        }
        return CompactionStats(
            recordsBefore: UInt64(stats.recordsBefore), recordsAfter: UInt64(stats.recordsAfter),
            bytesBefore: UInt64(stats.bytesBefore), bytesAfter: UInt64(stats.bytesAfter),
            segmentsBefore: stats.segmentsBefore, segmentsAfter: stats.segmentsAfter,
            segmentsRewritten: stats.segmentsRewritten, tombstonesRemoved: UInt64(stats.tombstonesRemoved),
            keys: stats.keys, passes: stats.passes, seconds: Double(monotonicNanoseconds() - started) / 1e9)
    }

    /// Deletes whole segments from the old end of the log in directory
    /// `path`, by total size and by age (never the active segment), as a
    /// writer with retention limits does after each roll.
    public static func applyRetention(at path: String, options: RetentionOptions) throws(EventLogError)
        -> RetentionReport
    {
        let report = try Retention.apply(
            directory: path, retentionBytes: options.retentionBytes,
            retentionMilliseconds: options.retentionMilliseconds, keepUncommittedCursors: options.retainUncommitted,
            now: options.currentTimeMilliseconds ?? wallClockMilliseconds(), waitForLock: options.waitForLock,
            dryRun: options.dryRun)
        return RetentionReport(
            deletedSegments: report.deletedSegments.map { UInt64($0) }, deletedBytes: UInt64(report.deletedBytes),
            startOffset: UInt64(report.startOffset), heldByCursor: report.heldBy)
    }
}
