// SPDX-License-Identifier: Apache-2.0
// `eventlog stats`: a batch job over a log (EventLogJobs) that counts
// records and bytes, finds the hottest keys (or header values), draws a
// histogram over time and tells how many records compaction would keep.
import ArgumentParser
internal import EventLog
internal import EventLogJobs

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count records, bytes and keys of a log on every core, grouped by key, time or header.",
        discussion: """
            Reads the records of the range on several threads (one per core unless \
            --threads says otherwise), checking each batch's CRC as a cursor does. Records \
            appended while it runs are left out: the range ends where the log ended when \
            the command started.

            --by key (the default) lists the --top keys with the most records; \
            --by header:NAME does the same for the values of header NAME; --by minute and \
            --by hour print a histogram of records over time instead. Payload bytes are \
            key, value and header bytes; stored and uncompressed bytes are those of the \
            batches read. "Compaction would keep" counts the latest record of each key \
            (tombstones included, until their delete retention passes) and every record \
            without a key, as if every segment were closed. Ranges are half-open and \
            select records as `eventlog dump` does.

            Examples:
              eventlog stats events
              eventlog stats events --by hour --from-time 2026-11-29T00:00Z
              eventlog stats events --by header:source --top 5 --json
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Option(
        help: ArgumentHelp("Group by key, minute, hour or header:NAME (default: key).", valueName: "grouping"),
        transform: StatsGrouping.init(parsing:))
    var by: StatsGrouping = .key

    @Option(help: ArgumentHelp("How many keys or header values to list (default: 10).", valueName: "count"))
    var top = 10

    @OptionGroup var range: RangeOptions

    @Option(help: ArgumentHelp("Worker threads (default: one per core).", valueName: "count"))
    var threads: Int?

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    @OptionGroup var display: ProgressOption

    func validate() throws {
        if top < 0 { throw ValidationError("--top \(top) is negative") }
        if let threads, threads < 1 || threads > 256 {
            throw ValidationError("--threads \(threads) is not from 1 to 256")
        }
    }

    func run() async throws {
        let log = try openForReading(directory)
        defer { try? log.close() }
        let (start, end) = try range.offsets(in: log)
        let bar = display.reporter("stats")
        let options = JobOptions(workers: threads ?? JobOptions.onlineCores) { progress in
            bar?.update(UInt64(progress.doneBytes), of: UInt64(progress.totalBytes), .bytes)
        }
        let statistics = try await LogStatistics.gather(
            log, range: .offsets(from: start, to: max(start, end)), grouping: by, options: options)
        let bytes = UInt64(statistics.summary.storedBytes)
        bar?.update(bytes, of: bytes, .bytes, final: true)
        let report = StatsReport(statistics: statistics, grouping: by, top: top, path: directory)
        printReport(json: json, report.json, text: report.text)
    }
}
