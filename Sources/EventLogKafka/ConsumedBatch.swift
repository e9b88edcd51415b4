// SPDX-License-Identifier: Apache-2.0
// Messages a consumer fetched, appended to a log without copying them first:
// the records handed to EventLog.appendRaw borrow the bytes librdkafka holds
// (the writer copies them into its batch before appendRaw returns), each with
// a `kafka.offset` header added. Owns its messages until `removeAll` or
// deinit destroys them. Not thread-safe.
import CRdKafka
import EventLog
internal import EventLogFormat
internal import EventLogStorage
import Glibc

final class ConsumedBatch {
    private var messages: [UnsafeMutablePointer<rd_kafka_message_t>] = []

    var isEmpty: Bool { messages.isEmpty }
    var count: Int { messages.count }

    deinit { removeAll() }

    /// Takes ownership of a message without error.
    func add(_ message: UnsafeMutablePointer<rd_kafka_message_t>) { messages.append(message) }

    func removeAll() {
        for message in messages { rd_kafka_message_destroy(message) }
        messages.removeAll(keepingCapacity: true)
    }

    /// Appends the messages as records, in order.
    func append(to log: EventLog) throws(EventLogError) {
        let name = Array(OffsetHeader.imported.utf8)
        // The header name, then each message's offset as 8 bytes big-endian.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: name.count + 8 * messages.count, alignment: 8)
        defer { scratch.deallocate() }
        scratch.copyBytes(from: name)
        let nameBytes = UnsafeRawBufferPointer(rebasing: scratch[0..<name.count])
        var headers: [HeaderBytes] = []
        var headerRanges: [Range<Int>] = []
        headerRanges.reserveCapacity(messages.count)
        for (index, message) in messages.enumerated() {
            let first = headers.count
            var list: OpaquePointer?
            if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
                var at = 0
                var key: UnsafePointer<CChar>?
                var value: UnsafeRawPointer?
                var size = 0
                while rd_kafka_header_get_all(list, at, &key, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                    headers.append(
                        HeaderBytes(
                            key: UnsafeRawBufferPointer(start: key, count: key.map { strlen($0) } ?? 0),
                            value: value.map { UnsafeRawBufferPointer(start: $0, count: size) }))
                    at += 1
                }
            }
            let slot = name.count + 8 * index
            scratch.storeBytes(of: UInt64(message.pointee.offset).bigEndian, toByteOffset: slot, as: UInt64.self)
            headers.append(
                HeaderBytes(key: nameBytes, value: UnsafeRawBufferPointer(rebasing: scratch[slot..<slot + 8])))
            headerRanges.append(first..<headers.count)
        }
        try headers.withUnsafeBufferPointer { (headers) throws(EventLogError) in
            _ = try log.appendRaw(count: messages.count) { index in
                let message = messages[index]
                var kind = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                let timestamp = rd_kafka_message_timestamp(message, &kind)
                let m = message.pointee
                // A record Kafka stamped 0 stays at 0 rather than becoming "now".
                return RawRecord(
                    timestamp: max(timestamp, 0),
                    key: m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) },
                    value: m.payload.map { UnsafeRawBufferPointer(start: $0, count: m.len) },
                    headers: UnsafeBufferPointer(rebasing: headers[headerRanges[index]]),
                    timestampIsExact: kind != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
            }
        }
    }
}
