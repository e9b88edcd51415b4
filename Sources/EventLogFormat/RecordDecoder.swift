// SPDX-License-Identifier: Apache-2.0
// Decoding the records section of a batch (Docs/FORMAT.md §4) into borrowed
// views, with the checks of Kafka's DefaultRecord.readFrom: each record's
// length matches the bytes its fields take, lengths and counts are in range,
// the section holds exactly recordsCount records and nothing after them.
// This is the read hot path: one pass over raw memory, no allocation per
// record (views are appended to the caller's reusable arrays), and errors
// built out of line so the happy path stays small.

/// A decoded record. `key`, `value` and the header views point into the
/// records section passed to the decoder, which the caller keeps alive.
package struct RecordView {
    package var offset: Int64
    package var timestamp: Int64
    package var key: UnsafeRawBufferPointer?
    package var value: UnsafeRawBufferPointer?
    /// Index of the record's first header in the `headers` array given to the decoder.
    package var headerStart: Int
    package var headerCount: Int

    package init(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headerStart: Int, headerCount: Int
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headerStart = headerStart
        self.headerCount = headerCount
    }
}

package struct HeaderView {
    package var key: UnsafeRawBufferPointer
    package var value: UnsafeRawBufferPointer?

    package init(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) {
        self.key = key
        self.value = value
    }
}

package enum RecordDecoder {
    /// The smallest record: length, attributes, timestampDelta, offsetDelta,
    /// key length, value length and header count, one byte each.
    static let minimumRecordSize = 7

    // Position arithmetic in the loop uses &+ and &-: every position is
    // within the section (checked before it moves), so nothing can wrap, and
    // the overflow branches would add about 7% to the instructions per record.

    /// Decodes all `header.recordsCount` records of an uncompressed records
    /// section (already decompressed for a compressed batch), appending to
    /// `records` and `headers`; `headerStart` indexes `headers` absolutely, so
    /// the arrays may already hold earlier batches. Timestamps are
    /// baseTimestamp + delta, or maxTimestamp for every record of a
    /// LogAppendTime batch; a delete-horizon batch still adds deltas to
    /// baseTimestamp, as Kafka does. Lengths below -1 are rejected (Kafka only
    /// writes -1 for null). Error positions are relative to the section start;
    /// on error both arrays are left as they were.
    package static func decode(
        recordsSection: UnsafeRawBufferPointer, header: RecordBatchHeader, into records: inout [RecordView],
        headers: inout [HeaderView]
    ) throws(FormatError) {
        let recordsBefore = records.count
        let headersBefore = headers.count
        do {
            try decodeAll(recordsSection, header, &records, &headers)
        } catch {
            records.removeSubrange(recordsBefore...)
            headers.removeSubrange(headersBefore...)
            throw error
        }
    }

    /// Decodes the records of `section` from `start` on, where `found` of the
    /// batch's records were decoded before it.
    static func decodeAll(
        _ section: UnsafeRawBufferPointer, _ header: RecordBatchHeader, _ records: inout [RecordView],
        _ headers: inout [HeaderView], from start: Int = 0, found: Int = 0
    ) throws(FormatError) {
        let declared = Int(header.recordsCount)
        guard declared >= 0 else {
            throw FormatError(kind: .invalidRecord, position: 0, detail: "recordsCount \(declared) is negative")
        }
        let end = section.count
        guard let base = section.baseAddress, end > start else {
            guard declared <= found else { throw missingRecords(declared, found: found, at: start) }
            return
        }
        // Bounded by what the bytes can hold, so a hostile count cannot make us
        // reserve gigabytes; doubled, because reserving exact sizes batch after
        // batch into one array would copy it quadratically.
        let needed = records.count + min(declared, end / minimumRecordSize)
        if needed > records.capacity {
            records.reserveCapacity(max(needed, 2 * records.capacity))
        }
        let appendTime = header.isLogAppendTime
        var position = start
        for index in min(found, declared)..<declared {
            guard position < end else { throw missingRecords(declared, found: index, at: position) }
            try decodeRecord(base, &position, end: end, header, appendTime: appendTime, &records, &headers)
        }
        guard position == end else { throw trailing(end - position, declared, at: position) }
    }

    /// Decodes the records that lie whole between `position` and `available`,
    /// while fewer than `declared` are decoded, moving `position` and `found`
    /// past them. A record that is cut off or malformed stops it there, for
    /// `decodeAll` to report once the section is complete.
    @inline(__always)
    static func decodeAvailable(
        _ base: UnsafeRawPointer, available: Int, _ header: RecordBatchHeader, declared: Int,
        position: inout Int, found: inout Int, _ records: inout [RecordView], _ headers: inout [HeaderView]
    ) throws(FormatError) {
        let appendTime = header.isLogAppendTime
        // Locals, so the loop keeps them in registers: the caller's are
        // captured variables, stored to memory at every write.
        var at = position
        var decoded = found
        defer {
            position = at
            found = decoded
        }
        while decoded < declared, at < available, let next = RecordBoundaries.recordEnd(base, at: at, limit: available)
        {
            try decodeRecord(base, &at, end: next, header, appendTime: appendTime, &records, &headers)
            decoded &+= 1
        }
    }

    /// Decodes the records that lie whole in `chunk`, a run of records cut
    /// from a records section at a record boundary and ending anywhere (a
    /// record-aligned LZ4 block, perhaps decompressed in part), appending as
    /// `decode` does. Stops at the first record that runs past the chunk's
    /// end and returns where it starts; unlike `decode`, it cannot check the
    /// batch's record count. Errors as `decode`, relative to the chunk.
    /// Records whose offset delta is below `skippingBelow` are stepped over
    /// from their length and offset delta alone (a point read wants one
    /// record, and fully decoding the ones before it cost more than the rest
    /// of the read).
    package static func decodeWholeRecords(
        in chunk: UnsafeRawBufferPointer, header: RecordBatchHeader, skippingBelow: Int32 = 0,
        into records: inout [RecordView], headers: inout [HeaderView]
    ) throws(FormatError) -> Int {
        guard let base = chunk.baseAddress else { return 0 }
        let recordsBefore = records.count
        let headersBefore = headers.count
        let appendTime = header.isLogAppendTime
        var position = 0
        do {
            while let next = RecordBoundaries.recordEnd(base, at: position, limit: chunk.count) {
                if skippingBelow > 0, let delta = offsetDelta(base, at: position, end: next), delta < skippingBelow {
                    position = next
                    continue
                }
                try decodeRecord(base, &position, end: next, header, appendTime: appendTime, &records, &headers)
            }
        } catch {
            records.removeSubrange(recordsBefore...)
            headers.removeSubrange(headersBefore...)
            throw error
        }
        return position
    }

    /// The offset delta of the record at `position` (ending at `end`), read
    /// past its length, attributes and timestamp delta; nil if malformed.
    @inline(__always)
    private static func offsetDelta(_ base: UnsafeRawPointer, at position: Int, end: Int) -> Int32? {
        var index = position
        guard (try? Varint.readRaw(base, &index, limit: end, maxBytes: 5, overrun: .truncated)) != nil,
            index < end
        else { return nil }
        index &+= 1
        guard (try? Varint.readRaw(base, &index, limit: end, maxBytes: 10, overrun: .invalidRecord)) != nil,
            let raw = try? Varint.readRaw(base, &index, limit: end, maxBytes: 5, overrun: .invalidRecord)
        else { return nil }
        return Varint.decode32(raw)
    }

    /// Decodes the record at `position`, which must lie before `end`, and
    /// moves `position` past it.
    @inline(__always)
    private static func decodeRecord(
        _ base: UnsafeRawPointer, _ position: inout Int, end: Int, _ header: RecordBatchHeader, appendTime: Bool,
        _ records: inout [RecordView], _ headers: inout [HeaderView]
    ) throws(FormatError) {
        let recordStart = position
        let length = Int(
            Varint.decode32(try Varint.readRaw(base, &position, limit: end, maxBytes: 5, overrun: .truncated)))
        guard length >= 0 else { throw negativeRecordLength(length, at: recordStart) }
        guard length <= end &- position else { throw recordPastEnd(length, left: end - position, at: recordStart) }
        let bodyEnd = position &+ length
        // The attributes byte is unused; Kafka skips it too.
        guard position < bodyEnd else { throw emptyRecord(at: recordStart) }
        position &+= 1
        let timestampDelta = Varint.decode64(
            try Varint.readRaw(base, &position, limit: bodyEnd, maxBytes: 10, overrun: .invalidRecord))
        let offsetDelta = Varint.decode32(
            try Varint.readRaw(base, &position, limit: bodyEnd, maxBytes: 5, overrun: .invalidRecord))
        let key = try readField(base, &position, limit: bodyEnd)
        let value = try readField(base, &position, limit: bodyEnd)
        let countAt = position
        let headerCount = Int(
            Varint.decode32(
                try Varint.readRaw(base, &position, limit: bodyEnd, maxBytes: 5, overrun: .invalidRecord)))
        guard headerCount >= 0 && headerCount <= bodyEnd &- position else {
            throw badHeaderCount(headerCount, left: bodyEnd - position, at: countAt)
        }
        let headerStart = headers.count
        for _ in 0..<headerCount {
            let keyAt = position
            guard let headerKey = try readField(base, &position, limit: bodyEnd) else {
                throw nullHeaderKey(at: keyAt)
            }
            headers.append(HeaderView(key: headerKey, value: try readField(base, &position, limit: bodyEnd)))
        }
        guard position == bodyEnd else {
            throw lengthMismatch(length, parsed: position - bodyEnd + length, at: recordStart)
        }
        records.append(
            RecordView(
                offset: header.baseOffset &+ Int64(offsetDelta),
                timestamp: appendTime ? header.maxTimestamp : header.baseTimestamp &+ timestampDelta,
                key: key, value: value, headerStart: headerStart, headerCount: headerCount))
    }

    /// A length-prefixed byte field inside a record body; nil for length -1.
    @inline(__always)
    private static func readField(
        _ base: UnsafeRawPointer, _ position: inout Int, limit: Int
    ) throws(FormatError) -> UnsafeRawBufferPointer? {
        let fieldStart = position
        let length = Int(
            Varint.decode32(try Varint.readRaw(base, &position, limit: limit, maxBytes: 5, overrun: .invalidRecord)))
        guard length >= 0 else {
            guard length == -1 else { throw negativeFieldLength(length, at: fieldStart) }
            return nil
        }
        guard length <= limit &- position else { throw fieldPastRecord(length, at: fieldStart) }
        defer { position &+= length }
        return UnsafeRawBufferPointer(start: base + position, count: length)
    }

    @inline(never)
    private static func missingRecords(_ declared: Int, found: Int, at position: Int) -> FormatError {
        FormatError(
            kind: .recordCountMismatch, position: position,
            detail: "batch declares \(declared) records but its records section ends after \(found)")
    }

    @inline(never)
    private static func trailing(_ count: Int, _ declared: Int, at position: Int) -> FormatError {
        FormatError(
            kind: .trailingBytes, position: position, detail: "\(count) bytes follow the batch's \(declared) records")
    }

    @inline(never)
    private static func negativeRecordLength(_ length: Int, at position: Int) -> FormatError {
        FormatError(kind: .invalidLength, position: position, detail: "record length \(length) is negative")
    }

    @inline(never)
    private static func recordPastEnd(_ length: Int, left: Int, at position: Int) -> FormatError {
        FormatError(
            kind: .truncated, position: position,
            detail: "record of \(length) bytes runs past the end of the records section (\(left) bytes left)")
    }

    @inline(never)
    private static func emptyRecord(at position: Int) -> FormatError {
        FormatError(kind: .invalidRecord, position: position, detail: "record length 0 leaves no room for its fields")
    }

    @inline(never)
    private static func badHeaderCount(_ count: Int, left: Int, at position: Int) -> FormatError {
        FormatError(
            kind: .invalidLength, position: position,
            detail: "header count \(count) is out of range (\(left) bytes left in the record)")
    }

    @inline(never)
    private static func nullHeaderKey(at position: Int) -> FormatError {
        FormatError(
            kind: .invalidLength, position: position, detail: "header key length -1: header keys cannot be null")
    }

    @inline(never)
    private static func lengthMismatch(_ length: Int, parsed: Int, at position: Int) -> FormatError {
        FormatError(
            kind: .invalidRecord, position: position,
            detail: "record length says \(length) bytes but its fields take \(parsed)")
    }

    @inline(never)
    private static func negativeFieldLength(_ length: Int, at position: Int) -> FormatError {
        FormatError(kind: .invalidLength, position: position, detail: "field length \(length) is below -1")
    }

    @inline(never)
    private static func fieldPastRecord(_ length: Int, at position: Int) -> FormatError {
        FormatError(
            kind: .invalidRecord, position: position,
            detail: "field of \(length) bytes runs past its record's declared length")
    }
}
