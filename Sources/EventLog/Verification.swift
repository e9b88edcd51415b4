// SPDX-License-Identifier: Apache-2.0
// Checking and repairing a log directory from Swift: `EventLog.verify(at:)`
// reads every batch of every segment and lists what is wrong, without
// changing anything; `EventLog.recover(at:options:)` plans a repair and
// applies it (or, as a dry run, only reports it): intact batches stay,
// damaged bytes and strangers go to the quarantine folder, the torn tail of
// the last segment is cut. Both work on a directory, not on an open log:
// verify may run beside a writer, recover refuses to (busy).
// The types here mirror storage results on purpose: see Exports.swift.
package import EventLogStorage

/// One problem found by verify: the file, the byte position in it, and what.
public struct VerifyProblem: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var position: UInt64
    public var detail: String

    public var description: String { "\(file): \(detail) at byte \(position)" }
}

/// What `EventLog.verify(at:)` found; the same counts as eventlog_verify_report.
public struct VerifyReport: Equatable, Sendable {
    public var segments: UInt64
    public var batches: UInt64
    public var records: UInt64
    public var corruptBatches: UInt64
    /// Bytes after the last valid batch of each segment (what a recovery would cut).
    public var truncatedBytes: UInt64
    /// Empty for a sound log. A torn tail of the last segment, where a writer
    /// stopped or is still writing, counts in `truncatedBytes` only.
    public var problems: [VerifyProblem]

    public var isSound: Bool { problems.isEmpty }
}

/// How `EventLog.recover(at:options:)` repairs. Zero-initialised = defaults.
public struct RecoverOptions: Equatable, Sendable {
    /// Report the plan without changing any file of the log.
    public var dryRun = false
    /// Kafka's recovery instead of keeping intact batches: cut the first
    /// damaged segment at its first damage and delete every later segment.
    public var truncateAfterDamage = false

    public init(dryRun: Bool = false, truncateAfterDamage: Bool = false) {
        self.dryRun = dryRun
        self.truncateAfterDamage = truncateAfterDamage
    }
}

/// Bytes recover takes out of a segment.
public struct RecoverRemoval: Equatable, Sendable {
    public var file: String
    /// The byte range `position..<end` of `file`.
    public var position: UInt64
    public var end: UInt64
    /// The offsets the damaged header claims, when it could be read.
    public var claimedOffsets: ClosedRange<Int64>?
    public var claimedRecords: UInt64
    public var reason: String
    /// The side file that receives the bytes; nil when they are only cut
    /// (the torn tail of the last segment, or `truncateAfterDamage`).
    public var quarantine: String?
}

/// A file named like a segment that is not one of the log's, and where
/// recover moves it.
public struct RecoverStranger: Equatable, Sendable {
    public var file: String
    public var reason: String
    public var destination: String
}

/// What `EventLog.recover(at:options:)` did, or would do in a dry run.
public struct RecoverReport: Equatable, Sendable {
    public var dryRun: Bool
    /// Records in the valid batches that stay.
    public var recordsKept: UInt64
    /// Records in the batches removed: exact for valid batches (only
    /// `truncateAfterDamage` removes any), as far as their headers tell for
    /// damaged ones (a header too damaged to read counts none).
    public var recordsDropped: UInt64
    public var bytesTruncated: UInt64
    /// Segments deleted whole (only `truncateAfterDamage`).
    public var segmentsDeleted: UInt64
    /// Segments whose .index and .timeindex were rebuilt.
    public var indexesRebuilt: UInt64
    /// The offset the next record appended will get.
    public var nextOffset: UInt64
    public var removals: [RecoverRemoval]
    public var strangers: [RecoverStranger]
    /// What verify would have reported before the repair.
    public var problems: [VerifyProblem]
}

extension EventLog {
    /// Checks every batch (CRC, structure, records, offsets) and both index
    /// files of every segment in the log directory `path`, and every named
    /// cursor file. Read-only; safe while a writer appends. `progress`
    /// gets the bytes of segments checked and their total after each
    /// segment, in the calling thread.
    public static func verify(
        at path: String, progress: ((_ bytesDone: UInt64, _ bytesTotal: UInt64) -> Void)? = nil
    ) throws(EventLogError) -> VerifyReport {
        let inspection = try Verifier.verify(directory: path, progress: progress.map(bytes))
        let checks = inspection.segments.map(\.check)
        func sum(_ count: (SegmentCheck.Result) -> Int) -> UInt64 { UInt64(checks.reduce(0) { $0 + count($1) }) }
        return VerifyReport(
            segments: UInt64(checks.count), batches: sum(\.batches), records: sum(\.records),
            corruptBatches: sum(\.corruptBatches), truncatedBytes: sum(\.truncatedBytes),
            problems: (inspection.problems + inspection.cursorProblems).map(VerifyProblem.init))
    }

    /// Repairs the log in `path`: every batch that validates and whose
    /// offsets are sound stays readable at its offsets; damaged byte ranges
    /// are copied to `path/quarantine/<segment>.<position>.bin` and removed
    /// (a gap in the offsets, as compaction leaves); files named like
    /// segments that are not segments of this log move to `path/quarantine/`;
    /// only the torn tail of the last segment is cut. Indexes that need it
    /// are rebuilt. Takes the writer lock: `busy` while a writer has the log
    /// open. See RecoverOptions for a dry run and for Kafka's truncation.
    /// `progress` is told as for `verify` while the segments are checked.
    public static func recover(
        at path: String, options: RecoverOptions = RecoverOptions(),
        progress: ((_ bytesDone: UInt64, _ bytesTotal: UInt64) -> Void)? = nil
    ) throws(EventLogError) -> RecoverReport {
        let plan = try Repair.recover(
            directory: path, mode: options.truncateAfterDamage ? .truncateAfterDamage : .keepIntact,
            dryRun: options.dryRun, progress: progress.map(bytes))
        return RecoverReport(
            dryRun: options.dryRun, recordsKept: UInt64(plan.recordsKept), recordsDropped: UInt64(plan.recordsDropped),
            bytesTruncated: UInt64(plan.bytesRemoved), segmentsDeleted: UInt64(plan.deletedSegments.count),
            indexesRebuilt: UInt64(plan.indexRebuilds.count), nextOffset: UInt64(max(0, plan.nextOffset)),
            removals: plan.removals.map(RecoverRemoval.init),
            strangers: plan.strangers.map {
                RecoverStranger(file: $0.stranger.path, reason: $0.stranger.reason, destination: $0.destination)
            },
            problems: plan.problems.map(VerifyProblem.init))
    }
}

extension RecoverRemoval {
    init(_ removal: RecoveryPlan.Removal) {
        self.init(
            file: removal.file, position: UInt64(removal.range.start), end: UInt64(removal.range.end),
            claimedOffsets: removal.range.claimedOffsets, claimedRecords: UInt64(removal.range.claimedRecords),
            reason: removal.range.reason, quarantine: removal.quarantine)
    }
}

extension VerifyProblem {
    init(_ problem: VerificationProblem) {
        self.init(file: problem.file, position: UInt64(max(0, problem.position)), detail: problem.detail)
    }
}

/// A progress callback in UInt64 bytes as the storage layer's Int one.
private func bytes(_ report: @escaping (UInt64, UInt64) -> Void) -> Verifier.Progress {
    { done, total in report(UInt64(done), UInt64(total)) }
}
