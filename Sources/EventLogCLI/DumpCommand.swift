// SPDX-License-Identifier: Apache-2.0
// `eventlog dump`: records in a range of offsets or times, read with a
// cursor (Cursor.seek(to:) with an offset or a time, and
// Cursor.withNextRecords for the records themselves) and printed as JSON
// lines, values, a template or hex dumps; or the batches that hold them
// (EventLog.forEachBatch).
import ArgumentParser
internal import EventLog

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print records as JSON lines, values, a template or hex dumps; or list the batches.",
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

            --values prints each value's bytes and a newline (nothing for a tombstone). \
            --format prints each record by a template, as kcat -f does: \(RecordTemplate.help)

            --batches lists the batches instead, one line each in the words of Kafka's \
            kafka-dump-log: segment file, baseOffset, lastOffset, count, position and size \
            (bytes in the file), compresscodec, isvalid (the CRC matches) and the first and \
            largest timestamps. --from, --to and --limit select batches by offset; a batch \
            whose CRC fails is listed, not an error.

            A damaged batch stops the dump with an error naming the file and byte.

            Examples:
              eventlog dump events --from 1000 --limit 10
              eventlog dump events --from-time 2026-11-29T10:00Z --to-time 2026-11-29T11:00Z
              eventlog dump events --from 42 --limit 1 --hex
              eventlog dump events --format '%o %t %k %v\\n'
              eventlog dump events --batches
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @OptionGroup var range: RangeOptions

    @Option(help: ArgumentHelp("Print at most this many records.", valueName: "count"))
    var limit: UInt64?

    @Flag(help: "Print a hex dump of each record instead of JSON.")
    var hex = false

    @OptionGroup var output: RecordOutputOptions

    @Flag(help: "List the batches (offsets, position, size, compression, CRC, times) instead of records.")
    var batches = false

    @OptionGroup var display: ProgressOption

    func validate() throws {
        if [hex, output.isChosen, batches].filter({ $0 }).count > 1 {
            throw ValidationError("--hex, --values or --format, and --batches exclude each other")
        }
        if batches && (range.fromTime != nil || range.toTime != nil) {
            throw ValidationError("--batches selects by offset: --from-time and --to-time do not apply")
        }
    }

    func run() throws {
        if batches { return try listBatches() }
        let log = try openForReading(directory)
        let (start, end) = try range.offsets(in: log)
        // From the log's start: wherever it is when the cursor opens, as
        // retention in another process may have moved it since.
        let cursor = try log.cursor(from: start <= log.startOffset ? .oldest : .offset(start))
        let out = Output()
        let style: RecordStyle = hex ? .hex : output.style
        let limit = self.limit ?? UInt64.max
        var printed: UInt64 = 0
        let bar = display.reporter("dump", quietOnTerminalOutput: true)
        let total = min(min(end, log.endOffset) - min(start, end, log.endOffset), limit)
        var done = false
        while !done {
            // Views into the cursor's buffers: each record is copied once,
            // into the output buffer.
            done = try cursor.withNextRecords(maxCount: 4096, timeoutMilliseconds: 0) { records, headers in
                for record in records {
                    guard printed < limit, UInt64(record.offset) < end else { return true }
                    style.write(record, headers, to: out)
                    out.flushIfFull()
                    printed += 1
                }
                return records.isEmpty
            }
            bar?.update(printed, of: total, .records)
        }
        out.flush()
        bar?.update(printed, of: printed, .records, final: true)
    }

    /// --batches: one line per batch, in the words of kafka-dump-log.
    private func listBatches() throws {
        let out = Output()
        let start = range.from ?? 0
        let end = range.to ?? UInt64.max
        var listed: UInt64 = 0
        try EventLog.forEachBatch(at: directory) { batch in
            guard batch.lastOffset >= start, batch.baseOffset < end, listed < limit ?? UInt64.max else { return }
            listed += 1
            out.write(
                "\(batch.fileName) baseOffset: \(batch.baseOffset) lastOffset: \(batch.lastOffset) "
                    + "count: \(batch.recordCount) position: \(batch.position) size: \(batch.size) "
                    + "compresscodec: \(batch.compression) isvalid: \(batch.isValid) "
                    + "baseTimestamp: \(batch.baseTimestamp) maxTimestamp: \(batch.maxTimestamp)\n")
            out.flushIfFull()
        }
        out.flush()
    }
}
