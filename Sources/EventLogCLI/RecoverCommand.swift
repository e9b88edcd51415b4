// SPDX-License-Identifier: Apache-2.0
// `eventlog recover`: EventLog.recover(at:options:), which keeps every
// intact batch, quarantines damage, moves strangers aside and cuts the torn
// tail (or, asked for, cuts everything after the first damage), and what it
// did or, in a dry run, would do.
import ArgumentParser
internal import EventLog

struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Repair a damaged log, keeping every intact batch.",
        discussion: """
            Every batch whose CRC and offsets are sound stays readable at its offset. \
            Damaged byte ranges are copied to DIR/quarantine/<segment>.<position>.bin and \
            removed from their segment, which leaves a gap in the offsets (Kafka readers \
            accept gaps, as compaction leaves them). Files named like segments that are \
            not segments of this log (garbage, a copy under another base, a directory, \
            FIFO or symlink) are moved to DIR/quarantine/ whole. Only the torn tail of \
            the last segment, where a writer stopped, is cut. Indexes are rebuilt where \
            needed. Takes the writer lock, so it fails while a writer has the log open.

            --dry-run prints the plan and changes nothing. --truncate-after-damage is \
            Kafka's recovery instead: the first damaged segment is cut at its first \
            damage and every later segment is deleted; records after the damage are \
            lost, so copy the directory first if they matter.

            Examples:
              eventlog recover events --dry-run
              eventlog recover events
              eventlog recover events --truncate-after-damage --json
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(help: "Print what would be done, and change nothing.")
    var dryRun = false

    @Flag(help: "Cut at the first damage and delete every later segment (Kafka's recovery).")
    var truncateAfterDamage = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var display: ProgressOption

    func run() throws {
        let report = try Progress.showingBytes(display.reporter("recover")) { progress in
            try EventLog.recover(
                at: directory, options: RecoverOptions(dryRun: dryRun, truncateAfterDamage: truncateAfterDamage),
                progress: progress)
        }
        printReport(json: json, Self.json(report), text: Self.text(report, directory: directory))
    }

    static func json(_ report: RecoverReport) -> JSON {
        func removal(_ r: RecoverRemoval) -> JSON {
            .object([
                ("file", .string(r.file)), ("position", .integer(r.position)), ("end", .integer(r.end)),
                ("first_offset", .integer(r.claimedOffsets?.lowerBound)),
                ("last_offset", .integer(r.claimedOffsets?.upperBound)), ("records", .integer(r.claimedRecords)),
                ("reason", .string(r.reason)), ("to", r.quarantine.map(JSON.string) ?? .null),
            ])
        }
        func stranger(_ s: RecoverStranger) -> JSON {
            .object([("file", .string(s.file)), ("reason", .string(s.reason)), ("to", .string(s.destination))])
        }
        return .object([
            ("dry_run", .bool(report.dryRun)),
            ("records_kept", .integer(report.recordsKept)),
            ("records_dropped", .integer(report.recordsDropped)),
            ("bytes_truncated", .integer(report.bytesTruncated)),
            ("segments_deleted", .integer(report.segmentsDeleted)),
            ("indexes_rebuilt", .integer(report.indexesRebuilt)),
            ("next_offset", .integer(report.nextOffset)),
            ("quarantined", .array(report.removals.filter { $0.quarantine != nil }.map(removal))),
            ("cut", .array(report.removals.filter { $0.quarantine == nil }.map(removal))),
            ("strangers", .array(report.strangers.map(stranger))),
            ("problems", .array(report.problems.map(VerifyCommand.json))),
        ])
    }

    static func text(_ report: RecoverReport, directory: String) -> String {
        /// "would move" in a dry run, "moved" otherwise.
        func did(_ present: String, _ past: String) -> String { report.dryRun ? "would \(present)" : past }
        var lines = report.problems.map { "found: \($0)" }
        for stranger in report.strangers {
            lines.append("\(did("move", "moved")) \(stranger.file) to \(stranger.destination): \(stranger.reason)")
        }
        for r in report.removals {
            let claim = r.claimedOffsets.map { ", offsets \($0.lowerBound)...\($0.upperBound)" } ?? ""
            let what =
                "\(r.file) at byte \(r.position): \(r.end - r.position) bytes\(claim), \(r.claimedRecords) records"
            let action =
                r.quarantine.map { "\(did("quarantine", "quarantined")) \(what) to \($0)" }
                ?? "\(did("cut", "cut")) \(what)"
            lines.append("\(action): \(r.reason)")
        }
        lines.append(
            "\(directory): \(report.dryRun ? "dry run, nothing changed; " : "")\(did("keep", "kept")) "
                + "\(report.recordsKept) records, \(did("drop", "dropped")) \(report.recordsDropped) records, "
                + "\(did("remove", "removed")) \(report.bytesTruncated) bytes, "
                + "\(did("move", "moved")) \(report.strangers.count) strangers aside, "
                + "\(did("delete", "deleted")) \(report.segmentsDeleted) segments, "
                + "\(did("rebuild", "rebuilt")) \(report.indexesRebuilt) indexes; next offset \(report.nextOffset)")
        return lines.map { $0 + "\n" }.joined()
    }
}
