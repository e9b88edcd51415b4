// SPDX-License-Identifier: Apache-2.0
// `eventlog ship`: a log to a Kafka topic, exactly once across restarts
// (LogShipper in EventLogKafka; Docs/KAFKA.md). This file holds the argument
// parsing and output, and what `import` shares with it.
import ArgumentParser
internal import EventLog
import EventLogKafka

struct ShipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ship",
        abstract: "Produce the records of a log to a Kafka topic, exactly once, resuming where it stopped.",
        discussion: """
            Records go in offset order with key, value (tombstones stay null), headers and \
            timestamp unchanged, plus a header eventlog.offset (the source offset, 8 bytes \
            big-endian). Keyed records go to the partition murmur2 of the key picks, as \
            Kafka's Java clients do; keyless ones to source offset modulo the partition \
            count; with --partition all to one.

            The named cursor (default ship-<topic>) is committed only past records Kafka \
            acknowledged; on start, records shipped after the last commit are found in the \
            partitions' tails and not sent again. Kill it at any moment and run it again: \
            every record is in Kafka once. Defaults: enable.idempotence=true, acks=all, \
            compression.codec=lz4, linger.ms=10, batch.num.messages=10000, \
            socket.timeout.ms=10000 (also the limit for the brokers' first answer), \
            message.timeout.ms=60000; -X overrides any librdkafka setting.

            Examples:
              eventlog ship events --brokers localhost:9092 --topic events
              eventlog ship events --brokers k1:9092,k2:9092 --topic events --follow -X linger.ms=50
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @OptionGroup var kafka: KafkaArguments

    @OptionGroup var display: ProgressOption

    @Option(help: ArgumentHelp("Send every record to this partition.", valueName: "n"))
    var partition: Int32?

    @Flag(help: "Keep shipping records as they are written, until SIGINT or SIGTERM.")
    var follow = false

    @Option(
        help: ArgumentHelp("The named cursor that remembers the position (default ship-<topic>).", valueName: "name"))
    var cursor: String?

    @Flag(help: "Print a JSON summary on stdout at the end.")
    var json = false

    func validate() throws {
        if let partition, partition < 0 { throw ValidationError("--partition must be 0 or more") }
    }

    func run() throws {
        StopSignal.install()
        let log = try openForReading(directory)
        var options = ShipOptions(brokers: kafka.brokers, topic: kafka.topic)
        options.partition = partition
        options.follow = follow
        options.cursorName = cursor
        options.settings = kafka.parsedSettings
        // A bad name is a usage error, reported before connecting.
        if let cursor { _ = try blaming("--cursor") { try log.cursor(named: cursor) } }
        let shipper = try LogShipper(log: log, options: options)
        func line(_ state: ShipProgress) -> String {
            "shipped \(state.shipped) records, \(byteCount(state.shippedBytes)), "
                + "\(rate(state.shipped, state.seconds)) records/s, \(state.skipped) already there, lag \(state.lag)"
        }
        let summary = try Progress.showingStatus(display.reporter("ship"), line) { report in
            try shipper.run(shouldStop: { StopSignal.requested }, report: report)
        }
        printReport(
            json: json,
            .object([
                ("topic", .string(kafka.topic)),
                ("cursor", .string(options.resolvedCursorName)),
                ("shipped", .integer(summary.shipped)),
                ("shipped_bytes", .integer(summary.shippedBytes)),
                ("skipped", .integer(summary.skipped)),
                ("next_offset", .integer(summary.nextOffset)),
                ("end_offset", .integer(summary.endOffset)),
                ("seconds", .number(String(summary.seconds))),
            ]), text: "")
    }
}

/// The options `ship` and `import` share.
struct KafkaArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Kafka bootstrap servers.", valueName: "host:port[,...]"))
    var brokers: String

    @Option(help: ArgumentHelp("The Kafka topic.", valueName: "topic"))
    var topic: String

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp("A librdkafka setting, as in kcat (repeatable).", valueName: "key=value"))
    var settings: [String] = []

    func validate() throws {
        for setting in settings where (setting.firstIndex(of: "=") ?? setting.startIndex) == setting.startIndex {
            throw ValidationError("-X \(setting): expected key=value")
        }
    }

    var parsedSettings: [(String, String)] {
        settings.map { setting in
            let equals = setting.firstIndex(of: "=")!
            return (String(setting[..<equals]), String(setting[setting.index(after: equals)...]))
        }
    }
}

func rate(_ count: UInt64, _ seconds: Double) -> String {
    seconds > 0 ? String(Int(Double(count) / seconds)) : "-"
}
