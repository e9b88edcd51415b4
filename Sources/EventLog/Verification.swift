// Checking and repairing a log directory from Swift: `EventLog.verify(at:)`
// reads every batch of every segment and lists what is wrong, without
// changing anything; `EventLog.recover(at:)` cuts the log after its last
// good batch, as Kafka's recovery does. Both work on a directory, not on an
// open log: verify may run beside a writer, recover refuses to (busy).
import EventLogStorage

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

/// What `EventLog.recover(at:)` did.
public struct RecoverReport: Equatable, Sendable {
    /// Records in the batches cut or deleted.
    public var recordsDropped: UInt64
    public var bytesTruncated: UInt64
    public var segmentsDeleted: UInt64
    /// Segments whose .index and .timeindex were rebuilt.
    public var indexesRebuilt: UInt64
    /// The offset the next record appended will get.
    public var nextOffset: UInt64
    /// What verify would have reported before the repair.
    public var problems: [VerifyProblem]
}

extension EventLog {
    /// Checks every batch (CRC, structure, records, offsets) and both index
    /// files of every segment in the log directory `path`, and every named
    /// cursor file. Read-only; safe while a writer appends.
    public static func verify(at path: String) throws(EventLogError) -> VerifyReport {
        let result = try Verifier.verify(directory: path)
        return VerifyReport(
            segments: UInt64(result.segments), batches: UInt64(result.batches), records: UInt64(result.records),
            corruptBatches: UInt64(result.corruptBatches), truncatedBytes: UInt64(result.truncatedBytes),
            problems: result.problems.map(VerifyProblem.init))
    }

    /// Truncates the log in `path` after its last good batch and deletes every
    /// later segment, as Kafka does, then rebuilds the indexes that need it.
    /// Takes the writer lock: `busy` while a writer has the log open.
    public static func recover(at path: String) throws(EventLogError) -> RecoverReport {
        let result = try Repair.recover(directory: path)
        return RecoverReport(
            recordsDropped: UInt64(result.recordsDropped), bytesTruncated: UInt64(result.bytesTruncated),
            segmentsDeleted: UInt64(result.segmentsDeleted), indexesRebuilt: UInt64(result.indexesRebuilt),
            nextOffset: UInt64(max(0, result.nextOffset)), problems: result.problems.map(VerifyProblem.init))
    }
}

extension VerifyProblem {
    init(_ problem: VerificationProblem) {
        self.init(file: problem.file, position: UInt64(max(0, problem.position)), detail: problem.detail)
    }
}
