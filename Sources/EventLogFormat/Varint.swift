// SPDX-License-Identifier: Apache-2.0
// Kafka's variable-length integers: zig-zag, then little-endian base-128
// groups (protobuf sint32/sint64). Reading follows Kafka's ByteUtils exactly:
// an int32 varint may take at most 5 bytes and an int64 at most 10, and the
// bits of the last byte that do not fit are dropped, as Java's shifts drop them.

package enum Varint {
    /// Bytes `write` uses for `value` (1 to 10); the same for an int32 field,
    /// since zig-zag gives equal codes for equal values at either width.
    @inlinable
    package static func size(_ value: Int64) -> Int {
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        // Significant bits, rounded up to groups of 7; `| 1` makes 0 take one byte.
        return (70 - (zigzag | 1).leadingZeroBitCount) / 7
    }

    /// Writes `value` at `destination` and returns the number of bytes written.
    @inlinable
    package static func write(_ value: Int64, to destination: UnsafeMutableRawPointer) -> Int {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var written = 0
        while zigzag >= 0x80 {
            destination.storeBytes(of: UInt8(truncatingIfNeeded: zigzag) | 0x80, toByteOffset: written, as: UInt8.self)
            zigzag >>= 7
            written += 1
        }
        destination.storeBytes(of: UInt8(truncatingIfNeeded: zigzag), toByteOffset: written, as: UInt8.self)
        return written + 1
    }

    /// The zig-zag code at `index`, which must lie before `limit`. Running into
    /// `limit` throws `overrun`: the record decoder passes `.invalidRecord` when
    /// the limit is a record's declared end rather than the end of the input.
    /// Almost every varint in a record (lengths under 8 KiB, small deltas) takes
    /// one or two bytes, so those cases are inlined and the loop is not.
    @inline(__always)
    static func readRaw(
        _ base: UnsafeRawPointer, _ index: inout Int, limit: Int, maxBytes: UInt64, overrun: FormatError.Kind
    ) throws(FormatError) -> UInt64 {
        let position = index
        if position < limit {
            let first = base.load(fromByteOffset: position, as: UInt8.self)
            // Positions lie within the buffer, so `&+` cannot wrap; it spares overflow branches.
            if first < 0x80 {
                index = position &+ 1
                return UInt64(first)
            }
            if position &+ 1 < limit {
                let second = base.load(fromByteOffset: position &+ 1, as: UInt8.self)
                if second < 0x80 {
                    index = position &+ 2
                    return UInt64(first & 0x7f) | UInt64(second) << 7
                }
            }
        }
        // The loop returns the new index rather than taking it inout, so that
        // callers keep their position in a register instead of memory.
        let (value, next) = try readRawLoop(base, from: position, limit: limit, maxBytes: maxBytes, overrun: overrun)
        index = next
        return value
    }

    @inline(never)
    static func readRawLoop(
        _ base: UnsafeRawPointer, from start: Int, limit: Int, maxBytes: UInt64, overrun: FormatError.Kind
    ) throws(FormatError) -> (value: UInt64, next: Int) {
        var position = start
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < limit else { throw overrunError(overrun, at: start) }
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { break }
            shift += 7
            if shift >= 7 * maxBytes { throw tooLong(maxBytes: maxBytes, at: start) }
        }
        return (result, position)
    }

    @inline(__always)
    static func decode32(_ raw: UInt64) -> Int32 {
        let bits = UInt32(truncatingIfNeeded: raw)
        return Int32(bitPattern: (bits >> 1) ^ (0 &- (bits & 1)))
    }

    @inline(__always)
    static func decode64(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    @inline(never)
    static func overrunError(_ kind: FormatError.Kind, at position: Int) -> FormatError {
        kind == .truncated
            ? truncatedVarint(at: position)
            : FormatError(kind: kind, position: position, detail: "varint runs past the record's declared length")
    }

    @inline(never)
    static func truncatedVarint(at position: Int) -> FormatError {
        FormatError(kind: .truncated, position: position, detail: "varint runs past the end of the input")
    }

    @inline(never)
    static func tooLong(maxBytes: UInt64, at position: Int) -> FormatError {
        FormatError(kind: .invalidVarint, position: position, detail: "varint longer than \(maxBytes) bytes")
    }
}
