// SPDX-License-Identifier: Apache-2.0
// Where a cursor starts or seeks to: the oldest or latest record, an offset,
// or a point in time. One enum instead of reserved UInt64 values, so an
// offset can never be mistaken for a marker.
internal import EventLogStorage

extension EventLog {
    /// A place in the log for ``EventLog/cursor(from:)``,
    /// ``EventLog/cursor(named:startingAt:)`` and ``Cursor/seek(to:)``.
    ///
    /// An integer literal is an offset: `log.cursor(from: 42)` is
    /// `log.cursor(from: .offset(42))`.
    public enum Position: Equatable, Hashable, Sendable, ExpressibleByIntegerLiteral {
        /// The first record still in the log.
        case oldest
        /// The end of the log: only records appended from now on.
        case latest
        /// The first record whose offset is at least this one (the end of the
        /// log if there is none yet).
        case offset(UInt64)
        /// The first record whose timestamp is at or after this time, counted
        /// from the Unix epoch (the end of the log if there is none). The log
        /// stores milliseconds, so finer parts are rounded down.
        case time(sinceEpoch: Duration)

        public init(integerLiteral value: UInt64) { self = .offset(value) }

        /// The C API's offsets: `EVENTLOG_OLDEST` (2^64 - 2) and
        /// `EVENTLOG_LATEST` (2^64 - 1) are markers, every other value an
        /// offset.
        package init(cOffset offset: UInt64) {
            switch offset {
            case UInt64.max: self = .latest
            case UInt64.max - 1: self = .oldest
            default: self = .offset(offset)
            }
        }

        /// The storage layer's offset for `.oldest`, `.latest` and `.offset`;
        /// nil for `.time`, which needs a search.
        var storageOffset: Int64? {
            switch self {
            case .oldest: LogCursor.oldest
            case .latest: LogCursor.latest
            case .offset(let offset): Int64(clamping: Swift.min(offset, UInt64(LogCursor.oldest - 1)))
            case .time: nil
            }
        }
    }
}

extension Duration {
    /// Whole nanoseconds of a duration already checked to be in 0...2^63 ns.
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Whole milliseconds, rounded toward negative infinity and clamped to
    /// Int64; the log's timestamps and the storage layer's waits count these.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (fromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        var milliseconds = attoseconds / 1_000_000_000_000_000
        if attoseconds < 0 && attoseconds % 1_000_000_000_000_000 != 0 { milliseconds -= 1 }
        let (total, overflowTotal) = fromSeconds.addingReportingOverflow(milliseconds)
        return overflowTotal ? (seconds < 0 ? .min : .max) : total
    }
}
