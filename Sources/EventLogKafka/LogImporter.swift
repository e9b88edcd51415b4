// SPDX-License-Identifier: Apache-2.0
// Importing one Kafka partition into a local log through librdkafka's
// consumer, read_committed (aborted transactions and control records are
// skipped). Each record keeps key, value, headers and timestamp and gains a
// `kafka.offset` header. The log itself records the progress: after a kill,
// or a power loss that took unsynced records, its last record says where to
// continue, so there is no gap and no duplicate whenever the log was synced.
// Batches are appended as they come and synced about once a second and
// before the importer returns; only synced records count as imported. Not
// thread-safe: one thread runs an importer.
import CRdKafka
import EventLog
import Glibc

public struct ImportOptions: Sendable {
    public enum Start: Equatable, Sendable {
        case earliest, latest
        case offset(Int64)
    }

    public var brokers: String
    public var topic: String
    public var partition: Int32
    /// Where a log without imported records starts; a log with some always
    /// continues after the last one's `kafka.offset`.
    public var start = Start.earliest
    /// Keep importing records as they arrive, until stopped.
    public var follow = false
    /// librdkafka settings applied after `defaultSettings`, so they win.
    public var settings: [(String, String)] = []

    public init(brokers: String, topic: String, partition: Int32) {
        self.brokers = brokers
        self.topic = topic
        self.partition = partition
    }

    /// An offset that is no longer in the partition is an error rather than
    /// a silent jump (auto.offset.reset=error).
    public static let defaultSettings: [(String, String)] = [
        ("isolation.level", "read_committed"),
        ("enable.partition.eof", "true"),
        ("auto.offset.reset", "error"),
        ("socket.timeout.ms", "10000"),
        ("log_level", "2"),
    ]
}

public struct ImportProgress: Sendable {
    /// Records appended to the log and synced in this run.
    public var imported: UInt64 = 0
    /// Their key and value bytes.
    public var importedBytes: UInt64 = 0
    /// The Kafka offset to read next.
    public var nextKafkaOffset: Int64 = 0
    /// Seconds since the run started.
    public var seconds: Double = 0
}

public final class LogImporter {
    private let log: EventLog
    private let options: ImportOptions
    private let consumer: KafkaClient
    private let topic: KafkaTopic
    /// The Kafka offset to start at, or RD_KAFKA_OFFSET_BEGINNING / _END.
    public let startOffset: Int64
    private var progress = ImportProgress()

    /// Connects and checks the topic and partition. Throws as
    /// `LogShipper.init` does.
    public init(log: EventLog, options: ImportOptions) throws(EventLogError) {
        self.log = log
        self.options = options
        consumer = try KafkaClient(
            producer: false, brokers: options.brokers, settings: ImportOptions.defaultSettings + options.settings)
        let count = try consumer.partitionCount(topic: options.topic)
        topic = try KafkaTopic(consumer, name: options.topic)
        guard (0..<count).contains(options.partition) else {
            throw EventLogError(
                .invalidArgument,
                "partition \(options.partition): topic \(options.topic) has partitions 0 to \(count - 1)")
        }
        if let last = try Self.lastImportedOffset(log) {
            startOffset = Int64(clamping: last) + 1
        } else {
            switch options.start {
            case .earliest: startOffset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            case .latest: startOffset = Int64(RD_KAFKA_OFFSET_END)
            case .offset(let offset): startOffset = offset
            }
        }
        progress.nextKafkaOffset = startOffset
    }

    /// The `kafka.offset` of the log's last record, nil if it has none.
    static func lastImportedOffset(_ log: EventLog) throws(EventLogError) -> UInt64? {
        let end = log.endOffset
        guard end > log.startOffset else { return nil }
        var last: Record?
        // Compaction may have removed the last offset's record: scan then.
        for from in [EventLog.Position.offset(end - 1), .oldest] where last == nil {
            let cursor = try log.cursor(from: from)
            while let record = try cursor.next() { last = record }
        }
        guard let header = last?.headers.last(where: { $0.key == OffsetHeader.imported }),
            let value = header.value
        else { return nil }
        return value.withUnsafeBytes { OffsetHeader.decode($0) }
    }

    /// Imports until the partition's end (with `follow`, until
    /// `shouldStop`). `report` is called about once a second.
    @discardableResult
    public func run(shouldStop: () -> Bool = { false }, report: (ImportProgress) -> Void = { _ in })
        throws(EventLogError) -> ImportProgress
    {
        let subject = "\(options.topic) partition \(options.partition)"
        if rd_kafka_consume_start(topic.handle, options.partition, startOffset) != 0 {
            throw KafkaClient.error(rd_kafka_last_error(), subject)
        }
        defer { rd_kafka_consume_stop(topic.handle, options.partition) }
        let started = monotonicMilliseconds()
        var lastReport = started
        var lastSync = started
        var unsynced: UInt64 = 0
        func sync() throws(EventLogError) {
            guard unsynced > 0 else { return }
            try log.sync()
            progress.imported += unsynced
            unsynced = 0
        }
        var messages = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: 4096)
        let batch = ConsumedBatch()
        while !shouldStop() {
            let count = rd_kafka_consume_batch(topic.handle, options.partition, 200, &messages, messages.count)
            if count < 0 { throw KafkaClient.error(rd_kafka_last_error(), subject) }
            var atEnd = false
            var failure: rd_kafka_resp_err_t?
            for message in messages[0..<count] {
                guard let message else { continue }
                let err = message.pointee.err
                if err == RD_KAFKA_RESP_ERR_NO_ERROR && failure == nil {
                    batch.add(message)
                    progress.importedBytes += UInt64(message.pointee.len + message.pointee.key_len)
                    progress.nextKafkaOffset = message.pointee.offset + 1
                    continue
                }
                if err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    atEnd = true
                } else if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    failure = failure ?? err
                }
                rd_kafka_message_destroy(message)
            }
            // What was read before an error is kept: the next run continues after it.
            if !batch.isEmpty {
                try batch.append(to: log)
                unsynced += UInt64(batch.count)
                batch.removeAll()
            }
            if let failure {
                try sync()
                throw KafkaClient.error(failure, "\(subject) at offset \(progress.nextKafkaOffset)")
            }
            if atEnd && !options.follow { break }
            let now = monotonicMilliseconds()
            // Caught up: the records read so far are all there is for now.
            if atEnd || now - lastSync >= 1000 {
                try sync()
                lastSync = now
            }
            if now - lastReport >= 1000 {
                report(snapshot(since: started))
                lastReport = now
            }
        }
        try sync()
        let summary = snapshot(since: started)
        report(summary)
        return summary
    }

    private func snapshot(since started: UInt64) -> ImportProgress {
        var current = progress
        current.seconds = Double(monotonicMilliseconds() - started) / 1000
        return current
    }
}
