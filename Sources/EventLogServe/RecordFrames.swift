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
import EventLogFormat
import NIOCore

public enum RecordFormatKind: String, Sendable {
    case json, binary
}

struct RecordFrame {
    let format: RecordFormatKind
    private(set) var buffer: NIOCore.ByteBuffer
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

    mutating func add(_ record: RecordView, _ headers: UnsafeBufferPointer<HeaderView>) {
        let own = UnsafeBufferPointer(rebasing: headers[record.headerStart..<record.headerStart + record.headerCount])
        switch format {
        case .json:
            if count > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            RecordJSON.write(record, own, to: &buffer)
        case .binary: writeBinary(record, own)
        }
        count += 1
        lastOffset = record.offset
    }

    /// An owned record (as the async following sequence returns it).
    mutating func add(owned record: Record) {
        var bytes: [UInt8] = []
        func stash(_ field: [UInt8]?) -> Range<Int>? {
            guard let field else { return nil }
            let start = bytes.count
            bytes += field
            return start..<bytes.count
        }
        let headerRanges = record.headers.map { (stash(Array($0.key.utf8))!, stash($0.value)) }
        let keyRange = stash(record.key)
        let valueRange = stash(record.value)
        bytes.withUnsafeBytes { raw in
            func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: raw[range]) }
            let headers = headerRanges.map { HeaderView(key: slice($0.0), value: $0.1.map(slice)) }
            let view = RecordView(
                offset: Int64(record.offset), timestamp: record.timestamp, key: keyRange.map(slice),
                value: valueRange.map(slice), headerStart: 0, headerCount: headers.count)
            headers.withUnsafeBufferPointer { add(view, $0) }
        }
    }

    /// The finished frame; the builder starts a new one.
    mutating func take() -> NIOCore.ByteBuffer {
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

    private mutating func writeBinary(_ record: RecordView, _ headers: UnsafeBufferPointer<HeaderView>) {
        buffer.writeInteger(record.offset)
        buffer.writeInteger(record.timestamp)
        writeLengthPrefixed(record.key)
        writeLengthPrefixed(record.value)
        buffer.writeInteger(UInt16(headers.count))
        for header in headers {
            buffer.writeInteger(UInt16(header.key.count))
            buffer.writeBytes(header.key)
            writeLengthPrefixed(header.value)
        }
    }

    private mutating func writeLengthPrefixed(_ bytes: UnsafeRawBufferPointer?) {
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
    /// Writes the records `cursor` has ready (it does not wait), each between
    /// what `before` and `after` write, up to `limit` records or until the
    /// buffer holds `maxBytes`; returns how many.
    static func writeAvailable(
        from cursor: Cursor, limit: Int, maxBytes: Int, to buffer: inout NIOCore.ByteBuffer,
        before: (Int64, inout NIOCore.ByteBuffer) -> Void, after: (inout NIOCore.ByteBuffer) -> Void
    ) throws(EventLogError) -> Int {
        var count = 0
        while count < limit && buffer.readableBytes < maxBytes {
            let taken = try cursor.withNextRecords(maxCount: min(1024, limit - count), timeoutMilliseconds: 0) {
                records, headers in
                for record in records {
                    before(record.offset, &buffer)
                    write(
                        record,
                        UnsafeBufferPointer(
                            rebasing: headers[record.headerStart..<record.headerStart + record.headerCount]),
                        to: &buffer)
                    after(&buffer)
                }
                return records.count
            }
            if taken == 0 { break }
            count += taken
        }
        return count
    }

    static func write(
        _ record: RecordView, _ headers: UnsafeBufferPointer<HeaderView>, to buffer: inout NIOCore.ByteBuffer
    ) {
        buffer.writeStaticString("{\"offset\":")
        buffer.writeDecimal(record.offset)
        buffer.writeStaticString(",\"timestamp\":")
        buffer.writeDecimal(record.timestamp)
        buffer.writeInteger(UInt8(ascii: ","))
        buffer.writeJSONBytesMember("key", record.key)
        buffer.writeInteger(UInt8(ascii: ","))
        buffer.writeJSONBytesMember("value", record.value)
        buffer.writeStaticString(",\"headers\":{")
        for (i, header) in headers.enumerated() {
            if i > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeJSONString(bytes: header.key)
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeJSONHeaderValue(header.value)
        }
        buffer.writeStaticString("}}")
    }
}
