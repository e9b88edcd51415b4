// SPDX-License-Identifier: Apache-2.0
// `eventlog import`: one Kafka partition into a local log, resumable with no
// gap and no duplicate (LogImporter in EventLogKafka).
import ArgumentParser
internal import EventLog
import EventLogKafka

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Consume one Kafka partition into a log (created if missing), resuming where it stopped.",
        discussion: """
            Records keep key, value, headers and timestamp and gain a header kafka.offset \
            (their offset in the partition, 8 bytes big-endian). Every batch is synced \
            before the next is fetched; a log that already holds imported records \
            continues after the last one's kafka.offset, whatever --from says. Reads \
            committed records only (isolation.level=read_committed).

            Examples:
              eventlog import replica --brokers localhost:9092 --topic events --partition 0
              eventlog import replica --brokers localhost:9092 --topic events --partition 3 --from latest --follow
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @OptionGroup var kafka: KafkaArguments

    @OptionGroup var display: ProgressOption

    @Option(help: ArgumentHelp("The partition to import.", valueName: "n"))
    var partition: Int32

    @Option(
        help: ArgumentHelp("Where a log without imported records starts.", valueName: "earliest|latest|offset"),
        transform: parseStart)
    var from = ImportOptions.Start.earliest

    @Flag(help: "Keep importing records as they arrive, until SIGINT or SIGTERM.")
    var follow = false

    @Flag(help: "Print a JSON summary on stdout at the end.")
    var json = false

    func validate() throws {
        if partition < 0 { throw ValidationError("--partition must be 0 or more") }
    }

    func run() throws {
        StopSignal.install()
        var options = ImportOptions(brokers: kafka.brokers, topic: kafka.topic, partition: partition)
        options.start = from
        options.follow = follow
        options.settings = kafka.parsedSettings
        let log = try EventLog(path: directory)
        let importer = try LogImporter(log: log, options: options)
        func line(_ state: ImportProgress) -> String {
            "imported \(state.imported) records, \(byteCount(state.importedBytes)), "
                + "\(rate(state.imported, state.seconds)) records/s, next Kafka offset \(state.nextKafkaOffset)"
        }
        let summary = try Progress.showingStatus(display.reporter("import"), line) { report in
            try importer.run(shouldStop: { StopSignal.requested }, report: report)
        }
        try log.close()
        printReport(
            json: json,
            .object([
                ("topic", .string(kafka.topic)),
                ("partition", .integer(partition)),
                ("imported", .integer(summary.imported)),
                ("imported_bytes", .integer(summary.importedBytes)),
                ("next_kafka_offset", .integer(summary.nextKafkaOffset)),
                ("seconds", .number(String(summary.seconds))),
            ]), text: "")
    }
}

private func parseStart(_ text: String) throws -> ImportOptions.Start {
    switch text {
    case "earliest": return .earliest
    case "latest": return .latest
    default: return .offset(Int64(try parseOffset(text)))
    }
}
