// `eventlog dump`: records in a range of offsets or times, read with a
// cursor (Cursor.seek(to:), Cursor.seek(toTimestamp:)) and printed as JSON
// lines or hex dumps.
import ArgumentParser
import EventLog

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print records as JSON lines (or hex dumps).",
        discussion: """
            One JSON object per line: {"offset","timestamp","key","value","headers"}. Keys, \
            values and header values that are printable UTF-8 appear as strings; others as \
            base64, in "key_b64" / "value_b64" members and as {"b64": ...} header values. \
            A record without a key shows "key": null; a tombstone shows "value": null.

            Ranges are half-open: --from is the first offset printed, --to the first not \
            printed. --from-time starts at the first record (in offset order) whose \
            timestamp is at or after the time, --to-time stops at the first such record for \
            its time, as Kafka's offsets-for-times lookup does. Times are milliseconds since \
            the epoch or ISO-8601 (UTC unless a zone is given).

            A damaged batch stops the dump with an error naming the file and byte.

            Examples:
              eventlog dump events --from 1000 --limit 10
              eventlog dump events --from-time 2026-11-29T10:00Z --to-time 2026-11-29T11:00Z
              eventlog dump events --from 42 --limit 1 --hex
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Option(
        help: ArgumentHelp("First offset to print (default: the oldest).", valueName: "offset"), transform: parseOffset)
    var from: UInt64?

    @Option(help: ArgumentHelp("Stop before this offset.", valueName: "offset"), transform: parseOffset)
    var to: UInt64?

    @Option(
        name: .customLong("from-time"),
        help: ArgumentHelp("Start at the first record at or after this time.", valueName: "time"),
        transform: parseTime)
    var fromTime: Int64?

    @Option(
        name: .customLong("to-time"),
        help: ArgumentHelp("Stop at the first record at or after this time.", valueName: "time"),
        transform: parseTime)
    var toTime: Int64?

    @Option(help: ArgumentHelp("Print at most this many records.", valueName: "count"))
    var limit: UInt64?

    @Flag(help: "Print a hex dump of each record instead of JSON.")
    var hex = false

    func validate() throws {
        if let from, let to, from >= to {
            throw ValidationError("--from \(from) is not before --to \(to): the range holds no offset")
        }
        if let fromTime, let toTime, fromTime >= toTime {
            throw ValidationError("--from-time is not before --to-time: the range holds no time")
        }
    }

    func run() throws {
        let log = try openForReading(directory)
        let cursor = try log.cursor(from: EventLog.oldest)
        var start = max(from ?? 0, log.startOffset)
        var end = to ?? UInt64.max
        if let fromTime {
            try cursor.seek(toTimestamp: fromTime)
            start = max(start, cursor.offset)
        }
        if let toTime {
            try cursor.seek(toTimestamp: toTime)
            end = min(end, cursor.offset)
        }
        try cursor.seek(to: start)
        let out = Output()
        defer { out.flush() }
        var printed: UInt64 = 0
        while printed < limit ?? UInt64.max, let record = try cursor.next(timeoutMilliseconds: 0), record.offset < end {
            out.write(hex ? RecordFormat.hex(record) : RecordFormat.json(record) + "\n")
            printed += 1
        }
    }
}
