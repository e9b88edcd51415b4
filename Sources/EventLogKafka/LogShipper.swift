// SPDX-License-Identifier: Apache-2.0
// Shipping a log to a Kafka topic through librdkafka's idempotent producer,
// exactly once across crashes without transactions (Docs/KAFKA.md gives the
// argument): records are read in offset order from the position of a named
// cursor; the cursor is committed only up to the last record whose delivery,
// and that of every record before it, Kafka acknowledged; on start, records an
// earlier run delivered after its last commit are found in the tails of the
// partitions and skipped. Not thread-safe: one thread runs a shipper.
import CRdKafka
import EventLog
internal import EventLogFormat
internal import EventLogStorage
import Glibc

public final class LogShipper {
    private let log: EventLog
    private let options: ShipOptions
    private let producer: KafkaClient
    private let topic: KafkaTopic
    public let partitionCount: Int32
    /// Per partition: the largest source offset already there at start, -1 if none.
    private var alreadyShipped: [Int64]
    private let reader: Cursor
    private let mark: Cursor
    private var tracker: DeliveryTracker
    private var committed: UInt64
    private var failure: EventLogError?
    private var progress = ShipProgress()
    /// produceva's arguments, filled in for each record.
    private var arguments = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 8)

    /// Connects, checks the topic and partition, and finds what earlier runs
    /// shipped. Throws `.timedOut` when the brokers do not answer within
    /// socket.timeout.ms, `.notFound` for an unknown topic, `.accessDenied`
    /// when not authorised, `.invalidArgument` for a bad cursor name,
    /// partition or setting.
    public init(log: EventLog, options: ShipOptions) throws(EventLogError) {
        self.log = log
        self.options = options
        mark = try log.cursor(named: options.resolvedCursorName)
        let settings = ShipOptions.defaultSettings + options.settings
        // Before any topic handle exists: a producer's topic handle makes
        // brokers with auto.create.topics.enable create the topic.
        let consumer = try KafkaClient(
            producer: false, brokers: options.brokers,
            settings: settings + [("enable.partition.eof", "true"), ("auto.offset.reset", "error")])
        partitionCount = try consumer.partitionCount(topic: options.topic)
        let consumerTopic = try KafkaTopic(consumer, name: options.topic)
        if let partition = options.partition, !(0..<partitionCount).contains(partition) {
            throw EventLogError(
                .invalidArgument,
                "partition \(partition): topic \(options.topic) has partitions 0 to \(partitionCount - 1)")
        }
        producer = try KafkaClient(producer: true, brokers: options.brokers, settings: settings)
        topic = try KafkaTopic(producer, name: options.topic)
        alreadyShipped = Array(repeating: -1, count: Int(partitionCount))
        for partition in options.partition.map({ [$0] }) ?? Array(0..<partitionCount) {
            let found = try ShippedTail.largestShippedOffset(
                consumer: consumer, topic: consumerTopic, partition: partition)
            alreadyShipped[Int(partition)] = found.map { Int64(clamping: $0) } ?? -1
        }
        committed = mark.offset
        tracker = DeliveryTracker(next: committed)
        reader = try log.cursor(from: .offset(committed))
        producer.events.delivered = { [unowned self] offset, err, bytes in
            self.delivered(offset: offset, err: err, bytes: bytes)
        }
    }

    /// Ships until the log's end (with `follow`, until `shouldStop`), then
    /// waits for every delivery report and commits the cursor. `report` is
    /// called about once a second. A delivery failure stops the ship: what
    /// was delivered before it is committed, and the error is thrown.
    @discardableResult
    public func run(shouldStop: () -> Bool = { false }, report: (ShipProgress) -> Void = { _ in })
        throws(EventLogError) -> ShipProgress
    {
        let started = monotonicMilliseconds()
        var lastCommit = started
        var lastReport = started
        var wait = 0
        do {
            while failure == nil && !shouldStop() {
                let count = try reader.withNextRecords(maxCount: 256, timeoutMilliseconds: wait) { records, headers in
                    produce(records, headers)
                }
                wait = 0
                rd_kafka_poll(producer.handle, 0)
                if count == 0 {
                    if tracker.outstanding > 0 {
                        rd_kafka_poll(producer.handle, 100)
                    } else {
                        try commit()
                        guard options.follow else { break }
                        // Caught up: the cursor's wait ends as soon as a
                        // record is written; the slice bounds how late a stop
                        // request is noticed.
                        wait = 500
                    }
                }
                let now = monotonicMilliseconds()
                if now - lastCommit >= UInt64(options.commitIntervalMilliseconds) {
                    try commit()
                    lastCommit = now
                }
                if now - lastReport >= 1000 {
                    report(snapshot(since: started))
                    lastReport = now
                }
            }
        } catch {
            drain()
            try? commit()
            throw error
        }
        drain()
        try commit()
        if let failure { throw failure }
        let summary = snapshot(since: started)
        report(summary)
        return summary
    }

    private func snapshot(since started: UInt64) -> ShipProgress {
        var current = progress
        current.nextOffset = committed
        current.endOffset = log.endOffset
        current.seconds = Double(monotonicMilliseconds() - started) / 1000
        return current
    }

    /// Waits for the report of every record produced; bounded by
    /// message.timeout.ms, after which librdkafka reports them failed.
    private func drain() {
        while rd_kafka_outq_len(producer.handle) > 0 { rd_kafka_poll(producer.handle, 100) }
    }

    private func commit() throws(EventLogError) {
        let next = tracker.next
        guard next != committed else { return }
        try mark.seek(to: .offset(next))
        try mark.commit()
        committed = next
    }

    private func delivered(offset: UInt64, err: rd_kafka_resp_err_t, bytes: Int) {
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if failure == nil { failure = deliveryError(offset: offset, err: err) }
            return
        }
        tracker.delivered(offset)
        progress.shipped += 1
        progress.shippedBytes += UInt64(bytes)
    }

    private func deliveryError(offset: UInt64, err: rd_kafka_resp_err_t) -> EventLogError {
        var text = [CChar](repeating: 0, count: 512)
        if err == RD_KAFKA_RESP_ERR__FATAL {
            let fatal = rd_kafka_fatal_error(producer.handle, &text, text.count)
            return KafkaClient.error(fatal, "topic \(options.topic), record \(offset): \(cText(text))")
        }
        return KafkaClient.error(err, "topic \(options.topic), record \(offset)")
    }

    /// Produces a cursor's batch of records; returns how many were read. A
    /// record that cannot be queued sets `failure` and stops the batch.
    private func produce(_ records: UnsafeBufferPointer<RecordView>, _ headers: UnsafeBufferPointer<HeaderView>) -> Int
    {
        for record in records where failure == nil {
            let offset = UInt64(record.offset)
            let partition = partition(of: record)
            if record.offset <= alreadyShipped[Int(partition)] {
                tracker.skipped(offset)
                progress.skipped += 1
                continue
            }
            do {
                try produce(
                    record, headers: headers[record.headerStart..<record.headerStart + record.headerCount],
                    partition: partition)
                tracker.produced(offset)
            } catch {
                failure = error
            }
        }
        return records.count
    }

    private func partition(of record: RecordView) -> Int32 {
        if let partition = options.partition { return partition }
        guard let key = record.key else { return Int32(record.offset % Int64(partitionCount)) }
        return rd_kafka_msg_partitioner_murmur2(
            topic.handle, key.baseAddress ?? nonNull, key.count, partitionCount, nil, nil)
    }

    private func produce(_ record: RecordView, headers: Slice<UnsafeBufferPointer<HeaderView>>, partition: Int32)
        throws(EventLogError)
    {
        guard let list = rd_kafka_headers_new(headers.count + 1) else {
            throw EventLogError(.noMemory, "rd_kafka_headers_new failed")
        }
        for header in headers {
            rd_kafka_header_add(
                list, (header.key.baseAddress ?? nonNull).assumingMemoryBound(to: CChar.self), header.key.count,
                header.value.map { $0.baseAddress ?? nonNull }, header.value?.count ?? 0)
        }
        let source = OffsetHeader.encode(UInt64(record.offset))
        rd_kafka_header_add(list, OffsetHeader.shipped, -1, source, source.count)
        arguments[0].vtype = RD_KAFKA_VTYPE_RKT
        arguments[0].u.rkt = topic.handle
        arguments[1].vtype = RD_KAFKA_VTYPE_PARTITION
        arguments[1].u.i32 = partition
        arguments[2].vtype = RD_KAFKA_VTYPE_VALUE
        arguments[2].u.mem.ptr = record.value.map { UnsafeMutableRawPointer(mutating: $0.baseAddress ?? nonNull) }
        arguments[2].u.mem.size = record.value?.count ?? 0
        arguments[3].vtype = RD_KAFKA_VTYPE_KEY
        arguments[3].u.mem.ptr = record.key.map { UnsafeMutableRawPointer(mutating: $0.baseAddress ?? nonNull) }
        arguments[3].u.mem.size = record.key?.count ?? 0
        arguments[4].vtype = RD_KAFKA_VTYPE_TIMESTAMP
        arguments[4].u.i64 = record.timestamp
        arguments[5].vtype = RD_KAFKA_VTYPE_HEADERS
        arguments[5].u.headers = list
        // The delivery report gives the offset back; +1 so that offset 0 is
        // not a null pointer.
        arguments[6].vtype = RD_KAFKA_VTYPE_OPAQUE
        arguments[6].u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(record.offset) + 1)
        arguments[7].vtype = RD_KAFKA_VTYPE_MSGFLAGS
        arguments[7].u.i = RD_KAFKA_MSG_F_COPY
        while true {
            guard let error = rd_kafka_produceva(producer.handle, arguments, arguments.count) else { return }
            let code = rd_kafka_error_code(error)
            rd_kafka_error_destroy(error)
            // A full queue empties as reports come back: serve them and retry.
            if code == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_poll(producer.handle, 100)
                continue
            }
            // On failure the headers stay ours.
            rd_kafka_headers_destroy(list)
            throw KafkaClient.error(code, "topic \(options.topic), record \(record.offset)")
        }
    }
}

/// Stands for the bytes of an empty key, value or header: librdkafka reads a
/// null pointer as "no value" (a tombstone), an empty one as an empty value.
private var nonNull: UnsafeRawPointer { FieldAddress.empty }

func monotonicMilliseconds() -> UInt64 { monotonicNanoseconds() / 1_000_000 }
