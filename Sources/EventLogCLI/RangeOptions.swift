// SPDX-License-Identifier: Apache-2.0
// --from/--to and --from-time/--to-time: the half-open ranges of records
// that `dump` and `stats` select, by offset and by time.
import ArgumentParser
internal import EventLog

struct RangeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("First offset (default: the oldest).", valueName: "offset"), transform: parseOffset)
    var from: UInt64?

    @Option(help: ArgumentHelp("Stop before this offset.", valueName: "offset"), transform: parseOffset)
    var to: UInt64?

    @Option(
        help: ArgumentHelp("Start at the first record at or after this time.", valueName: "time"),
        transform: parseTime)
    var fromTime: Int64?

    @Option(
        help: ArgumentHelp("Stop at the first record at or after this time.", valueName: "time"),
        transform: parseTime)
    var toTime: Int64?

    func validate() throws {
        if let from, let to, from >= to {
            throw ValidationError("--from \(from) is not before --to \(to): the range holds no offset")
        }
        if let fromTime, let toTime, fromTime >= toTime {
            throw ValidationError("--from-time is not before --to-time: the range holds no time")
        }
    }

    /// The offsets the options select in `log` now: `start..<end`, the
    /// times found as a cursor seeking by time finds them.
    func offsets(in log: EventLog) throws -> (start: UInt64, end: UInt64) {
        var start = max(from ?? 0, log.startOffset)
        var end = to ?? UInt64.max
        guard fromTime != nil || toTime != nil else { return (start, end) }
        let cursor = try log.cursor(from: .oldest)
        if let fromTime {
            try cursor.seek(to: .time(sinceEpoch: .milliseconds(fromTime)))
            start = max(start, cursor.offset)
        }
        if let toTime {
            try cursor.seek(to: .time(sinceEpoch: .milliseconds(toTime)))
            end = min(end, cursor.offset)
        }
        return (start, end)
    }
}
