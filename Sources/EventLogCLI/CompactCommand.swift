// SPDX-License-Identifier: Apache-2.0
// `eventlog compact`: EventLog.compact(at:options:progress:), Kafka's log
// cleaner over the closed segments, and its statistics.
import ArgumentParser
internal import EventLog

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Keep only the latest record of each key in the closed segments.",
        discussion: """
            Kafka's compaction: for each key the latest record stays and older ones go; \
            tombstones (null values) stay for --delete-retention-ms after the pass that \
            first cleaned them, then go; records without a key always stay. Offsets never \
            change, so readers see gaps. The active segment is never touched. Safe while a \
            writer appends and readers follow; one compaction or retention runs per log at \
            a time.

            Examples:
              eventlog compact events --dry-run
              eventlog compact events --delete-retention-ms 1h --max-segment-bytes 256MiB
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Option(
        name: .customLong("delete-retention-ms"),
        help: ArgumentHelp(
            "How long tombstones survive once cleaned (default: 24 hours; \(Units.durationHelp)).",
            valueName: "age"),
        transform: Units.milliseconds)
    var deleteRetentionMilliseconds: Int64?

    @Option(
        help: ArgumentHelp(
            "Merge segments up to this size (default: the largest segment's; \(Units.sizeHelp)).",
            valueName: "size"),
        transform: Units.bytes)
    var maxSegmentBytes: UInt64?

    @Option(
        help: ArgumentHelp(
            "Memory for the set of keys (default: what the keys need, 64-128 bytes a key plus its bytes); "
                + "keys that do not fit are compacted in several passes (\(Units.sizeHelp)).",
            valueName: "size"),
        transform: Units.bytes)
    var memory: UInt64?

    @Option(help: ArgumentHelp("Worker threads (default: one per core).", valueName: "count"))
    var threads: Int?

    @Flag(help: "Report what would be removed; change nothing.")
    var dryRun = false

    @Flag(help: "Wait for other maintenance of the log instead of failing.")
    var wait = false

    @OptionGroup var display: ProgressOption

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 || threads > 256 {
            throw ValidationError("--threads \(threads) is not from 1 to 256")
        }
    }

    func run() throws {
        var options = CompactOptions()
        if let deleteRetentionMilliseconds { options.deleteRetentionMilliseconds = deleteRetentionMilliseconds }
        if let maxSegmentBytes { options.maxSegmentBytes = maxSegmentBytes }
        if let memory { options.memoryBudget = memory }
        if let threads { options.threads = threads }
        options.dryRun = dryRun
        options.waitForLock = wait
        var phase = ""
        let stats = try Progress.showingBytes(display.reporter("compact"), phase: { phase }) { report in
            try EventLog.compact(at: directory, options: options) { step in
                phase = step.phase == .mapping ? "mapping keys" : "cleaning"
                report?(step.bytesDone, step.bytesTotal)
            }
        }
        printReport(
            json: json,
            .object([
                ("dry_run", .bool(dryRun)),
                ("records_before", .integer(stats.recordsBefore)),
                ("records_after", .integer(stats.recordsAfter)),
                ("bytes_before", .integer(stats.bytesBefore)),
                ("bytes_after", .integer(stats.bytesAfter)),
                ("segments_before", .integer(stats.segmentsBefore)),
                ("segments_after", .integer(stats.segmentsAfter)),
                ("segments_rewritten", .integer(stats.segmentsRewritten)),
                ("tombstones_removed", .integer(stats.tombstonesRemoved)),
                ("keys", .integer(stats.keys)),
                ("passes", .integer(stats.passes)),
                ("seconds", .number(decimal(stats.seconds, places: 3))),
            ]),
            text: "\(directory): \(dryRun ? "would keep" : "kept") \(stats.recordsAfter) of \(stats.recordsBefore) "
                + "records (\(stats.keys) keys, \(stats.tombstonesRemoved) tombstones removed) in the closed segments\n"
                + "bytes \(stats.bytesBefore) -> \(stats.bytesAfter), segments \(stats.segmentsBefore) -> "
                + "\(stats.segmentsAfter) (\(stats.segmentsRewritten) rewritten), "
                + "\(decimal(stats.seconds, places: 3)) s"
                + (stats.passes > 1 ? ", \(stats.passes) passes (the keys did not fit --memory)" : "") + "\n")
    }
}
