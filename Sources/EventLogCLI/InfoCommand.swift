// SPDX-License-Identifier: Apache-2.0
// `eventlog info`: what a log holds, from EventLog.inspect(at:) and the
// named cursors' stored positions.
import ArgumentParser
internal import EventLog

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a log's segments, offsets, sizes, time range and named cursors.",
        discussion: """
            Reads every batch (checking its CRC and decompressing it) to count records and \
            find their time range, so it takes time in proportion to the size of the log. \
            The compression ratio is the size the batches would take uncompressed over their \
            stored size. Lag is the log's end offset minus a cursor's next offset.

            Examples:
              eventlog info events
              eventlog info events --json | jq .records
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    func run() throws {
        let summary = try EventLog.inspect(at: directory)
        let cursors = try EventLog.namedCursors(at: directory)
        printReport(json: json, Self.json(summary, cursors), text: Self.text(summary, cursors))
    }

    private static func text(_ summary: LogSummary, _ cursors: [CursorPosition]) -> String {
        let offsets =
            summary.recordCount == 0 && summary.startOffset == summary.endOffset
            ? "none (next \(summary.endOffset))"
            : "\(summary.startOffset) to \(summary.endOffset - 1) (next \(summary.endOffset))"
        var text = "log          \(summary.path)\n"
        text += "offsets      \(offsets)\n"
        text += "records      \(summary.recordCount) in \(counted(summary.batchCount, "batch", plural: "batches")), "
        text += "\(counted(summary.segments.count, "segment"))\n"
        text += "on disk      \(byteCount(summary.bytesOnDisk))\n"
        text += "batches      \(byteCount(summary.storedBytes)) stored, \(byteCount(summary.uncompressedBytes))"
        text += " uncompressed (ratio \(decimal(summary.compressionRatio, places: 2)))\n"
        if let first = summary.minTimestamp, let last = summary.maxTimestamp {
            text += "time         \(TimeText.iso8601(first)) to \(TimeText.iso8601(last))\n"
            text += "             (\(first) to \(last) ms)\n"
        }
        var segments = Table([
            ("SEGMENT", .left), ("FIRST", .right), ("LAST", .right), ("RECORDS", .right), ("BATCHES", .right),
            ("SIZE", .right), ("STORED", .right), ("UNCOMPRESSED", .right), ("MIN TIME", .left), ("MAX TIME", .left),
        ])
        for segment in summary.segments {
            segments.append([
                segment.fileName + (segment.isActive ? " *" : ""), segment.firstOffset.map(String.init) ?? "-",
                segment.lastOffset.map(String.init) ?? "-", String(segment.recordCount), String(segment.batchCount),
                String(segment.fileBytes), String(segment.storedBytes), String(segment.uncompressedBytes),
                segment.minTimestamp.map(TimeText.iso8601) ?? "-", segment.maxTimestamp.map(TimeText.iso8601) ?? "-",
            ])
        }
        text += "\n" + segments.text
        if summary.segments.contains(where: \.isActive) { text += "(* the active segment)\n" }
        if !cursors.isEmpty { text += "\n" + CursorsCommand.table(cursors, end: summary.endOffset) }
        return text
    }

    private static func json(_ summary: LogSummary, _ cursors: [CursorPosition]) -> JSON {
        .object([
            ("path", .string(summary.path)),
            ("start_offset", .integer(summary.startOffset)),
            ("end_offset", .integer(summary.endOffset)),
            ("records", .integer(summary.recordCount)),
            ("batches", .integer(summary.batchCount)),
            ("bytes_on_disk", .integer(summary.bytesOnDisk)),
            ("stored_bytes", .integer(summary.storedBytes)),
            ("uncompressed_bytes", .integer(summary.uncompressedBytes)),
            ("compression_ratio", .number(decimal(summary.compressionRatio, places: 4))),
            ("min_timestamp", .integer(summary.minTimestamp)),
            ("max_timestamp", .integer(summary.maxTimestamp)),
            ("min_time", summary.minTimestamp.map { .string(TimeText.iso8601($0)) } ?? .null),
            ("max_time", summary.maxTimestamp.map { .string(TimeText.iso8601($0)) } ?? .null),
            (
                "segments",
                .array(
                    summary.segments.map { segment in
                        .object([
                            ("file", .string(segment.fileName)),
                            ("base_offset", .integer(segment.baseOffset)),
                            ("active", .bool(segment.isActive)),
                            ("file_bytes", .integer(segment.fileBytes)),
                            ("index_bytes", .integer(segment.indexBytes)),
                            ("first_offset", .integer(segment.firstOffset)),
                            ("last_offset", .integer(segment.lastOffset)),
                            ("records", .integer(segment.recordCount)),
                            ("batches", .integer(segment.batchCount)),
                            ("stored_bytes", .integer(segment.storedBytes)),
                            ("uncompressed_bytes", .integer(segment.uncompressedBytes)),
                            ("min_timestamp", .integer(segment.minTimestamp)),
                            ("max_timestamp", .integer(segment.maxTimestamp)),
                        ])
                    })
            ),
            ("cursors", .array(cursors.map { CursorsCommand.json($0, end: summary.endOffset) })),
        ])
    }
}
