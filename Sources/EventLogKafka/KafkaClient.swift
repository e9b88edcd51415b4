// SPDX-License-Identifier: Apache-2.0
// One librdkafka client handle (producer or consumer) with the settings it
// was made from, and the Kafka errors translated into EventLogError. A client
// belongs to one thread: its callbacks run inside rd_kafka_poll and
// rd_kafka_consume on the thread that calls them, so ClientEvents needs no lock.
import CRdKafka
import EventLog

/// What librdkafka reports through callbacks: the last client-level error
/// (for messages naming the cause) and, for a producer, delivery reports.
final class ClientEvents {
    var lastError: String?
    /// Called from rd_kafka_poll for each delivery report: the source offset
    /// (from the message's opaque) and the error, RD_KAFKA_RESP_ERR_NO_ERROR
    /// when the message is in Kafka, and its key and value bytes.
    var delivered: (UInt64, rd_kafka_resp_err_t, Int) -> Void = { _, _, _ in }
}

final class KafkaClient {
    let handle: OpaquePointer
    let brokers: String
    /// The timeout of single requests (metadata, watermarks), from
    /// socket.timeout.ms, so that an unreachable cluster fails in bounded time.
    let requestTimeoutMilliseconds: Int32
    let events = ClientEvents()

    /// `settings` are applied in order, so later ones (the user's -X) win.
    init(producer: Bool, brokers: String, settings: [(String, String)]) throws(EventLogError) {
        self.brokers = brokers
        guard let conf = rd_kafka_conf_new() else { throw EventLogError(.noMemory, "rd_kafka_conf_new failed") }
        var errorText = [CChar](repeating: 0, count: 512)
        var timeout: Int32 = 10_000
        for (key, value) in [("bootstrap.servers", brokers)] + settings {
            if rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw EventLogError(.invalidArgument, "-X \(key)=\(value): \(cText(errorText))")
            }
            if key == "socket.timeout.ms", let ms = Int32(value) { timeout = ms }
        }
        requestTimeoutMilliseconds = timeout
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(events).toOpaque())
        rd_kafka_conf_set_error_cb(conf) { _, _, reason, opaque in
            guard let opaque, let reason else { return }
            Unmanaged<ClientEvents>.fromOpaque(opaque).takeUnretainedValue().lastError = String(cString: reason)
        }
        if producer {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let opaque, let message else { return }
                let offset = UInt64(UInt(bitPattern: message.pointee._private)) - 1
                Unmanaged<ClientEvents>.fromOpaque(opaque).takeUnretainedValue().delivered(
                    offset, message.pointee.err, message.pointee.len + message.pointee.key_len)
            }
        }
        guard
            let handle = rd_kafka_new(
                producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, &errorText, errorText.count)
        else {
            rd_kafka_conf_destroy(conf)
            throw EventLogError(.invalidArgument, "librdkafka: \(cText(errorText))")
        }
        self.handle = handle
    }

    deinit { rd_kafka_destroy(handle) }

    /// The number of partitions of `topic`, from the cluster's list of
    /// topics: asking for the topic alone makes brokers with
    /// auto.create.topics.enable (and the mock cluster) create it. The first
    /// request, so it also proves the brokers answer. Brokers leave topics the
    /// client may not describe out of the list, hence "or not authorised".
    func partitionCount(topic: String) throws(EventLogError) -> Int32 {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 1, nil, &metadata, requestTimeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw unreachable(err) }
        defer { rd_kafka_metadata_destroy(metadata) }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        guard let entry = topics.first(where: { String(cString: $0.topic) == topic }) else {
            throw EventLogError(.notFound, "topic \(topic): not in the cluster (or not authorised to describe it)")
        }
        if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaClient.error(entry.err, "topic \(topic)") }
        return entry.partition_cnt
    }

    /// The low and high watermarks (first offset, next offset) of a partition.
    func watermarks(topic: String, partition: Int32) throws(EventLogError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, requestTimeoutMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT
                ? unreachable(err) : KafkaClient.error(err, "\(topic) partition \(partition)")
        }
        return (low, high)
    }

    func unreachable(_ err: rd_kafka_resp_err_t) -> EventLogError {
        let cause = events.lastError ?? String(cString: rd_kafka_err2str(err))
        return EventLogError(
            .timedOut, "brokers \(brokers): no answer within \(requestTimeoutMilliseconds) ms (\(cause))")
    }

    /// A Kafka error concerning `subject` (a topic, a partition, a record) as
    /// the library's error, classified so the CLI exits as for local errors.
    static func error(_ err: rd_kafka_resp_err_t, _ subject: String) -> EventLogError {
        let text = String(cString: rd_kafka_err2str(err))
        switch err {
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
            return EventLogError(.notFound, "\(subject): no such topic or partition in the cluster (\(text))")
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            return EventLogError(.invalidArgument, "\(subject): no such partition (\(text))")
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR__AUTHENTICATION:
            return EventLogError(.accessDenied, "\(subject): not authorised (\(text))")
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
            return EventLogError(.timedOut, "\(subject): \(text)")
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            return EventLogError(
                .tooBig, "\(subject): \(text) (raise -X message.max.bytes, and the topic's max.message.bytes)")
        default:
            return EventLogError(.io, "\(subject): \(text)")
        }
    }
}

/// A topic handle of a client; destroyed before its client.
final class KafkaTopic {
    let handle: OpaquePointer
    let name: String
    private let client: KafkaClient

    init(_ client: KafkaClient, name: String) throws(EventLogError) {
        guard let handle = rd_kafka_topic_new(client.handle, name, nil) else {
            throw KafkaClient.error(rd_kafka_last_error(), "topic \(name)")
        }
        self.handle = handle
        self.name = name
        self.client = client
    }

    deinit { rd_kafka_topic_destroy(handle) }
}

/// The C string in `buffer`, an error text librdkafka filled in.
func cText(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
