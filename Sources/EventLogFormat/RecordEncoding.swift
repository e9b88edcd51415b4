// SPDX-License-Identifier: Apache-2.0
// The byte layout of one record (Docs/FORMAT.md §4), on the writing side:
// length varint, attributes byte 0, timestampDelta varlong, offsetDelta
// varint, key and value as varint length (-1 = null) plus bytes, then the
// headers. Sizes are computed first so a record is written in one pass
// straight into the batch buffer.

/// A header of a record to encode: key never nil (may be empty), value nil = null header value.
package struct HeaderBytes {
    package var key: UnsafeRawBufferPointer
    package var value: UnsafeRawBufferPointer?

    package init(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) {
        self.key = key
        self.value = value
    }
}

enum RecordEncoding {
    /// Bytes after the length varint: attributes through the last header.
    static func bodySize(
        offsetDelta: Int32, timestampDelta: Int64, keyCount: Int?, valueCount: Int?,
        headers: UnsafeBufferPointer<HeaderBytes>
    ) -> Int {
        var size = 1 + Varint.size(timestampDelta) + Varint.size(Int64(offsetDelta))
        size += fieldSize(keyCount) + fieldSize(valueCount)
        size += Varint.size(Int64(headers.count))
        for header in headers {
            size += fieldSize(header.key.count) + fieldSize(header.value?.count)
        }
        return size
    }

    /// Writes one record whose body is `bodySize` bytes at `destination`;
    /// returns the bytes written.
    static func write(
        bodySize: Int, offsetDelta: Int32, timestampDelta: Int64, key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?, headers: UnsafeBufferPointer<HeaderBytes>,
        to destination: UnsafeMutableRawPointer
    ) -> Int {
        var p = destination
        p += Varint.write(Int64(bodySize), to: p)
        p.storeBytes(of: 0 as UInt8, as: UInt8.self)
        p += 1
        p += Varint.write(timestampDelta, to: p)
        p += Varint.write(Int64(offsetDelta), to: p)
        p += writeField(key, to: p)
        p += writeField(value, to: p)
        p += Varint.write(Int64(headers.count), to: p)
        for header in headers {
            p += writeField(header.key, to: p)
            p += writeField(header.value, to: p)
        }
        return p - destination
    }

    @inline(__always)
    private static func fieldSize(_ count: Int?) -> Int {
        guard let count else { return 1 }
        return Varint.size(Int64(count)) + count
    }

    @inline(__always)
    private static func writeField(_ bytes: UnsafeRawBufferPointer?, to p: UnsafeMutableRawPointer) -> Int {
        guard let bytes else { return Varint.write(-1, to: p) }
        let prefix = Varint.write(Int64(bytes.count), to: p)
        if let source = bytes.baseAddress, bytes.count > 0 {
            (p + prefix).copyMemory(from: source, byteCount: bytes.count)
        }
        return prefix + bytes.count
    }
}
