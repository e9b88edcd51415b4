// SPDX-License-Identifier: Apache-2.0
// What `LogShipper` ships where, with which librdkafka settings, and what it
// reports while it runs.

public struct ShipOptions: Sendable {
    /// bootstrap.servers: HOST:PORT[,HOST:PORT...].
    public var brokers: String
    public var topic: String
    /// Every record to this partition; nil: keyed records where murmur2 of
    /// the key puts them (Kafka's default partitioner), keyless ones by
    /// source offset modulo the partition count (round-robin, but the same
    /// partition again after a restart, which resuming relies on).
    public var partition: Int32?
    /// Keep shipping records as they are written, until stopped.
    public var follow = false
    /// The named cursor that remembers how far the log was shipped; nil:
    /// `ship-<topic>`.
    public var cursorName: String?
    /// librdkafka settings applied after `defaultSettings`, so they win.
    public var settings: [(String, String)] = []
    /// How often the cursor is committed while shipping (each commit syncs a file).
    public var commitIntervalMilliseconds = 1000

    public init(brokers: String, topic: String) {
        self.brokers = brokers
        self.topic = topic
    }

    /// The producer's defaults. Idempotence with acks=all keeps each
    /// partition in produce order without duplicates from retries, and the
    /// gapless guarantee turns any error that could leave a hole into a fatal
    /// one: together they are what lets a restart trust the partition's last
    /// shipped offset. Docs/KAFKA.md has the batching measurements.
    public static let defaultSettings: [(String, String)] = [
        ("enable.idempotence", "true"),
        ("enable.gapless.guarantee", "true"),
        ("acks", "all"),
        ("compression.codec", "lz4"),
        ("partitioner", "murmur2_random"),
        ("linger.ms", "10"),
        ("batch.num.messages", "10000"),
        ("socket.timeout.ms", "10000"),
        ("message.timeout.ms", "60000"),
        // Errors reach the caller as EventLogError; librdkafka's own log
        // lines (-X log_level=7 shows them) would only repeat them.
        ("log_level", "2"),
    ]

    /// The cursor name used: `cursorName` or `ship-<topic>`.
    public var resolvedCursorName: String { cursorName ?? "ship-" + topic }
}

/// Counters of a ship, for progress output and the final summary.
public struct ShipProgress: Sendable {
    /// Records Kafka acknowledged in this run.
    public var shipped: UInt64 = 0
    /// Their key and value bytes.
    public var shippedBytes: UInt64 = 0
    /// Records found already in Kafka (shipped by a run that was killed
    /// before committing) and not sent again.
    public var skipped: UInt64 = 0
    /// The committed position: every record below it is in Kafka.
    public var nextOffset: UInt64 = 0
    /// The log's end offset when last looked at.
    public var endOffset: UInt64 = 0
    /// Seconds since the run started.
    public var seconds: Double = 0

    /// Records written to the log but not yet known to be in Kafka.
    public var lag: UInt64 { endOffset > nextOffset ? endOffset - nextOffset : 0 }
}
