// `eventlog recover`: EventLog.recover(at:), which cuts the log after its
// last good batch, and what it did.
import ArgumentParser
import EventLog

struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Cut a damaged log after its last good batch, as Kafka's recovery does.",
        discussion: """
            Truncates the segment holding the first damaged batch after its last good \
            batch, deletes every later segment, and rebuilds the indexes that need it. \
            Records after the damage are lost: copy the directory first if they matter. \
            Takes the writer lock, so it fails while a writer has the log open.

            Examples:
              eventlog recover events
              eventlog recover events --json
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var display: ProgressOption

    func run() throws {
        let report = try SegmentProgress.run(display.reporter("recover"), directory: directory) {
            try EventLog.recover(at: directory)
        }
        let out = Output()
        if json {
            out.line(
                JSON.object([
                    ("records_dropped", .integer(report.recordsDropped)),
                    ("bytes_truncated", .integer(report.bytesTruncated)),
                    ("segments_deleted", .integer(report.segmentsDeleted)),
                    ("indexes_rebuilt", .integer(report.indexesRebuilt)),
                    ("next_offset", .integer(report.nextOffset)),
                    ("problems", .array(report.problems.map(VerifyCommand.json))),
                ]).text)
        } else {
            for problem in report.problems { out.line("found: \(problem)") }
            out.line(
                "\(directory): dropped \(report.recordsDropped) records, truncated \(report.bytesTruncated) bytes, "
                    + "deleted \(report.segmentsDeleted) segments, rebuilt \(report.indexesRebuilt) indexes; "
                    + "next offset \(report.nextOffset)")
        }
        out.flush()
    }
}
