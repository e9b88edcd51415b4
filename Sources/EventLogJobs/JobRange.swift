// SPDX-License-Identifier: Apache-2.0
// Which records a batch job reads: by offset or by time, always ending at
// what the log had published when the job started (records appended while
// it runs are the next job's input, as with a batch job over a snapshot).
import EventLog

public enum JobRange: Sendable, Equatable {
    /// Every record still in the log.
    case all
    /// The records with offsets in `from..<to`; `from` before the log start
    /// starts at the log start, `to` past the end stops at the end.
    case offsets(from: UInt64, to: UInt64)
    /// The records from the first stamped at or after `from` up to the
    /// first stamped at or after `to` (both since the Unix epoch), in offset
    /// order: the offsets a cursor seeking by time finds. Records stamped
    /// out of order inside that span are included whatever their time.
    case time(from: Duration, to: Duration)

    /// The offsets `from..<to` this range stands for in `log` now.
    @usableFromInline func offsets(in log: EventLog) throws -> (from: UInt64, to: UInt64) {
        switch self {
        case .all:
            // Offsets as the scan takes them: 0 is clamped to the log start,
            // UInt64.max is the latest end (EVENTLOG_LATEST).
            return (0, UInt64.max)
        case .offsets(let from, let to):
            guard from <= to else {
                throw EventLogError(.invalidArgument, "range: offset \(from) is after \(to)")
            }
            return (from, to)
        case .time(let from, let to):
            guard from <= to else {
                throw EventLogError(.invalidArgument, "range: time \(from) is after \(to)")
            }
            return (
                try log.cursor(from: .time(sinceEpoch: from)).offset, try log.cursor(from: .time(sinceEpoch: to)).offset
            )
        }
    }
}
