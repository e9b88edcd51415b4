// SPDX-License-Identifier: Apache-2.0
// Record batches as WebSocket frames (also used, one record at a time, for
// HTTP). JSON (a text frame):
//   {"type":"records","records":[{"offset":5,"timestamp":1764410400000,
//    "key":"user-1","value":"hi","headers":{"trace":"abc"}}, ...]}
// with "key_b64"/"value_b64" and {"b64":...} header values for bytes that
// are not UTF-8. Binary (a binary frame, integers big-endian):
//   u8 kind = 1 (records), u8 layout version = 1, u16 0, u32 record count,
//   then per record: i64 offset, i64 timestamp, i32 key length (-1: null),
//   key, i32 value length (-1: null), value, u16 header count, then per
//   header: u16 key length, key, i32 value length (-1: null), value.
import EventLog
import NIOCore

public enum RecordFormatKind: String, Sendable {
    case json, binary
}

struct RecordFrame {
    let format: RecordFormatKind
    private(set) var buffer: ByteBuffer
    private(set) var count = 0
    private(set) var lastOffset: Int64 = -1
    private var countIndex = 0

    init(format: RecordFormatKind, capacity: Int) {
        self.format = format
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        begin()
    }

    var byteCount: Int { buffer.readableBytes }

    private mutating func begin() {
        switch format {
        case .json: buffer.writeStaticString("{\"type\":\"records\",\"records\":[")
        case .binary:
            buffer.writeInteger(UInt8(1))
            buffer.writeInteger(UInt8(1))
            buffer.writeInteger(UInt16(0))
            countIndex = buffer.writerIndex
            buffer.writeInteger(UInt32(0))
        }
    }

    mutating func add(_ record: Record) {
        switch format {
        case .json:
            if count > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            RecordJSON.write(record, to: &buffer)
        case .binary: RecordBinary.write(record, to: &buffer)
        }
        count += 1
        lastOffset = Int64(record.offset)
    }

    /// Adds `records` records encoded beforehand in this frame's format
    /// (LiveTail: JSON objects separated by commas, or binary records).
    mutating func addEncoded(_ run: ByteBuffer, count records: Int, lastOffset: UInt64) {
        if format == .json && count > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
        buffer.writeImmutableBuffer(run)
        count += records
        self.lastOffset = Int64(lastOffset)
    }

    /// The finished frame; the builder starts a new one.
    mutating func take() -> ByteBuffer {
        switch format {
        case .json: buffer.writeStaticString("]}")
        case .binary: buffer.setInteger(UInt32(count), at: countIndex)
        }
        let frame = buffer
        buffer = ByteBufferAllocator().buffer(capacity: frame.capacity)
        count = 0
        begin()
        return frame
    }

}

/// One record in the binary layout.
enum RecordBinary {
    static func write(_ record: Record, to buffer: inout ByteBuffer) {
        buffer.writeInteger(Int64(record.offset))
        buffer.writeInteger(record.timestamp)
        writeLengthPrefixed(record.key, to: &buffer)
        writeLengthPrefixed(record.value, to: &buffer)
        buffer.writeInteger(UInt16(record.headers.count))
        for header in record.headers {
            buffer.writeInteger(UInt16(header.key.utf8.count))
            buffer.writeString(header.key)
            writeLengthPrefixed(header.value, to: &buffer)
        }
    }

    private static func writeLengthPrefixed(_ bytes: [UInt8]?, to buffer: inout ByteBuffer) {
        guard let bytes else {
            buffer.writeInteger(Int32(-1))
            return
        }
        buffer.writeInteger(Int32(bytes.count))
        buffer.writeBytes(bytes)
    }
}

/// One record as a JSON object, the shape `eventlog dump` prints.
enum RecordJSON {
    static func write(_ record: Record, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"offset\":")
        buffer.writeDecimal(record.offset)
        buffer.writeStaticString(",\"timestamp\":")
        buffer.writeDecimal(record.timestamp)
        buffer.writeInteger(UInt8(ascii: ","))
        buffer.writeJSONBytesMember("key", record.key)
        buffer.writeInteger(UInt8(ascii: ","))
        buffer.writeJSONBytesMember("value", record.value)
        buffer.writeStaticString(",\"headers\":{")
        for (i, header) in record.headers.enumerated() {
            if i > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeJSONString(header.key)
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeJSONHeaderValue(header.value)
        }
        buffer.writeStaticString("}}")
    }
}
