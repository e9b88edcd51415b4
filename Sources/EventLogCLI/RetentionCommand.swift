// SPDX-License-Identifier: Apache-2.0
// `eventlog retention`: EventLog.applyRetention(at:options:), deleting the
// oldest segments by total size and by age.
import ArgumentParser
internal import EventLog

struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Delete the oldest segments beyond a size or age limit.",
        discussion: """
            Deletes whole segments from the old end of the log, never the active one: while \
            the newer segments hold at least --retention-bytes, and those whose records are \
            all older than --retention-ms. With --retain-uncommitted it stops at the first \
            segment holding offsets a named cursor has not committed past. Safe while a \
            writer appends and readers follow.

            Examples:
              eventlog retention events --retention-bytes 10GiB
              eventlog retention events --retention-ms 7d --retain-uncommitted --dry-run
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Option(
        help: ArgumentHelp(
            "Keep at least this many bytes of newer segments (\(Units.sizeHelp)).", valueName: "size"),
        transform: Units.bytes)
    var retentionBytes: UInt64?

    @Option(
        name: .customLong("retention-ms"),
        help: ArgumentHelp(
            "Delete segments whose records are all older than this (\(Units.durationHelp)).", valueName: "age"),
        transform: Units.milliseconds)
    var retentionMilliseconds: Int64?

    @Flag(help: "Keep what a named cursor has not committed past.")
    var retainUncommitted = false

    @Flag(help: "Report what would be deleted; change nothing.")
    var dryRun = false

    @Flag(help: "Wait for other maintenance of the log instead of failing.")
    var wait = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if (retentionBytes ?? 0) == 0 && (retentionMilliseconds ?? 0) == 0 {
            throw ValidationError("give --retention-bytes or --retention-ms (a positive limit)")
        }
    }

    func run() throws {
        var options = RetentionOptions()
        options.retentionBytes = retentionBytes ?? 0
        options.retentionMilliseconds = retentionMilliseconds ?? 0
        options.retainUncommitted = retainUncommitted
        options.dryRun = dryRun
        options.waitForLock = wait
        let report = try EventLog.applyRetention(at: directory, options: options)
        let bases = report.deletedSegments.map(String.init).joined(separator: ", ")
        printReport(
            json: json,
            .object([
                ("dry_run", .bool(dryRun)),
                ("deleted_segments", .array(report.deletedSegments.map { .integer($0) })),
                ("deleted_bytes", .integer(report.deletedBytes)),
                ("start_offset", .integer(report.startOffset)),
                ("held_by_cursor", report.heldByCursor.map { .string($0) } ?? .null),
            ]),
            text: "\(directory): \(dryRun ? "would delete" : "deleted") "
                + "\(counted(report.deletedSegments.count, "segment")) of \(byteCount(report.deletedBytes))"
                + (bases.isEmpty ? "" : ", bases \(bases)") + "; start offset \(report.startOffset)\n"
                + (report.heldByCursor.map { "held back by the named cursor \($0)\n" } ?? ""))
    }
}
