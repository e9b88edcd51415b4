// SPDX-License-Identifier: Apache-2.0
// What an earlier ship already put in a partition: the largest
// `eventlog.offset` header among the partition's last messages. The
// idempotent producer keeps each partition in the order records were
// produced, and ship produces in log order, so the last message carrying the
// header holds the largest; the window only grows past messages without the
// header (written by someone else).
import CRdKafka
import EventLog

enum ShippedTail {
    /// The largest source offset in `partition`, or nil if no message carries
    /// the header. `topic` belongs to a consumer client with
    /// enable.partition.eof=true.
    static func largestShippedOffset(consumer: KafkaClient, topic: KafkaTopic, partition: Int32)
        throws(EventLogError) -> UInt64?
    {
        let (low, high) = try consumer.watermarks(topic: topic.name, partition: partition)
        var window: Int64 = 64
        while high > low {
            let start = max(low, high - window)
            if let found = try largest(consumer: consumer, topic: topic, partition: partition, from: start) {
                return found
            }
            if start == low { break }
            window *= 8
        }
        return nil
    }

    private static func largest(consumer: KafkaClient, topic: KafkaTopic, partition: Int32, from start: Int64)
        throws(EventLogError) -> UInt64?
    {
        let subject = "\(topic.name) partition \(partition)"
        if rd_kafka_consume_start(topic.handle, partition, start) != 0 {
            throw KafkaClient.error(rd_kafka_last_error(), subject)
        }
        defer { rd_kafka_consume_stop(topic.handle, partition) }
        var largest: UInt64?
        while true {
            guard let message = rd_kafka_consume(topic.handle, partition, consumer.requestTimeoutMilliseconds) else {
                throw consumer.unreachable(rd_kafka_last_error())
            }
            defer { rd_kafka_message_destroy(message) }
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return largest }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaClient.error(err, subject) }
            if let offset = headerOffset(message, OffsetHeader.shipped) { largest = max(largest ?? 0, offset) }
        }
    }
}

/// The value of the last header `name` of `message`, if it is an offset.
func headerOffset(_ message: UnsafeMutablePointer<rd_kafka_message_t>, _ name: String) -> UInt64? {
    var headers: OpaquePointer?
    guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return nil }
    var value: UnsafeRawPointer?
    var size = 0
    guard rd_kafka_header_get_last(headers, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let value else {
        return nil
    }
    return OffsetHeader.decode(UnsafeRawBufferPointer(start: value, count: size))
}
