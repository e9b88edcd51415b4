// SPDX-License-Identifier: Apache-2.0
// Decoding the records section of a batch (Docs/FORMAT.md §4) into borrowed
// views, with the checks of Kafka's DefaultRecord.readFrom: each record's
// length matches the bytes its fields take, lengths and counts are in range,
// the section holds exactly recordsCount records and nothing after them.
// This is the read hot path: one pass over raw memory, no allocation per
// record (views are appended to the caller's reusable arrays), and errors
// built out of line so the happy path stays small.
//
// A record's length is read once: the loops find its body from it
// (RecordBoundaries.body), and every field is then read against the body's
// end, which one check placed inside the section. Headers, rare in event
// data, are decoded out of line so the loop over header-less records stays
// in registers.

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
        // The records that are whole and plain go the fast way; the loop
        // below takes the rest and says what is wrong where it stops.
        var position = start
        var found = found
        try decodeAvailable(
            base, available: end, header, declared: declared, position: &position, found: &found, &records, &headers)
        // Bounded by what the bytes can hold, so a hostile count cannot make us
        // reserve gigabytes.
        reserve(&records, room: min(declared, (end - position) / minimumRecordSize))
        let stamps = RecordStamps(header)
        var output = OutputArrays(&records, &headers)
        defer { output.giveBack(&records, &headers) }
        for index in min(found, declared)..<declared {
            guard position < end else { throw missingRecords(declared, found: index, at: position) }
            let recordStart = position
            let length = Int(
                Varint.decode32(try Varint.readRaw(base, &position, limit: end, maxBytes: 5, overrun: .truncated)))
            guard length >= 0 else { throw negativeRecordLength(length, at: recordStart) }
            guard length <= end &- position else {
                throw recordPastEnd(length, left: end - position, at: recordStart)
            }
            output.records.append(
                try decodeBody(
                    base, from: position, to: position &+ length, recordStart: recordStart, stamps, &output.headers))
            position &+= length
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
        let room = min(declared - found, max(0, available - position) / minimumRecordSize)
        guard room > 0 else { return }
        let stamps = RecordStamps(header)
        // Locals, so the loop keeps them in registers: the caller's are
        // captured variables, stored to memory at every write.
        var at = position
        var decoded = found
        var headerViews: [HeaderView] = []
        swap(&headerViews, &headers)
        defer {
            position = at
            found = decoded
            swap(&headerViews, &headers)
        }
        // Records are written through an OutputSpan with room for as many as
        // the bytes can hold (a record takes at least 7): appending one by
        // one called the runtime to check the array's uniqueness for every
        // record, and that call made the loop keep its state on the stack.
        reserve(&records, room: room)
        try records.append(addingCapacity: room) { (span: inout OutputSpan<RecordView>) throws(FormatError) in
            try span.withUnsafeMutableBufferPointer { (output, initialized) throws(FormatError) in
                var next = at
                defer {
                    decoded &+= initialized
                    at = next
                }
                let inC = PlainRecordsInC.available
                while initialized < output.count {
                    if inC {
                        initialized &+= PlainRecordsInC.decode(
                            base, from: &next, available: available, stamps, headerStart: headerViews.count,
                            into: output.baseAddress! + initialized, room: output.count &- initialized)
                    }
                    initialized &+= decodePlainRecords(
                        base, from: &next, available: available, stamps, headerStart: headerViews.count,
                        into: output.baseAddress! + initialized, room: output.count &- initialized)
                    // The run stopped with no room left, or at a record that
                    // is not whole yet, or at one that is not plain.
                    guard initialized < output.count,
                        let body = RecordBoundaries.body(base, at: next, limit: available)
                    else { break }
                    output.initializeElement(
                        at: initialized,
                        to: try decodeBody(
                            base, from: body.start, to: body.end, recordStart: next, stamps, &headerViews))
                    initialized &+= 1
                    next = body.end
                }
            }
        }
    }

    /// Decodes plain records from `position` on into `output`, at most
    /// `room` of them, and returns how many; moves `position` past them.
    /// Plain: whole before `available`, no headers, every varint of one to
    /// three bytes, and sound. It stops at the first record that is not,
    /// which the caller then decodes (or rejects) with `decodeBody`, the
    /// one that states the rules: this loop only ever accepts records that
    /// `decodeBody` accepts, with the same fields.
    ///
    /// Why a second loop: a record is a chain of dependent loads (each
    /// length says where the next field is), and `decodeBody`'s calls to
    /// out-of-line paths (long varints, errors) leave few registers that
    /// survive a call, so the loop reloaded the section's base from the
    /// stack before every field, doubling the chain. This loop makes no
    /// call, keeps everything in registers, and gives up instead. Where the
    /// CPU has a fast BMI2, PlainRecordsInC runs first and takes most plain
    /// records (about 4 ns a record against 6 here); this loop takes the
    /// ones it leaves, such as values of 8 KiB and more.
    @inline(never)
    private static func decodePlainRecords(
        _ base: UnsafeRawPointer, from position: inout Int, available: Int, _ stamps: RecordStamps,
        headerStart: Int, into output: UnsafeMutablePointer<RecordView>, room: Int
    ) -> Int {
        var next = position
        var count = 0
        defer { position = next }
        while count < room {
            var at = next
            guard let rawLength = shortVarint(base, &at, limit: available) else { break }
            let length = Int(Varint.decode32(rawLength))
            guard length > 0, length <= available &- at else { break }
            let end = at &+ length
            at &+= 1  // the attributes byte
            guard let rawTimestamp = shortVarint(base, &at, limit: end),
                let rawDelta = shortVarint(base, &at, limit: end)
            else { break }
            let offsetDelta = Varint.decode32(rawDelta)
            guard UInt32(bitPattern: offsetDelta) <= UInt32(bitPattern: stamps.lastOffsetDelta),
                let (keyStart, keyCount) = plainField(base, &at, limit: end),
                let (valueStart, valueCount) = plainField(base, &at, limit: end),
                at &+ 1 == end, base.load(fromByteOffset: at, as: UInt8.self) == 0  // no headers
            else { break }
            (output + count).initialize(
                to: RecordView(
                    offset: stamps.baseOffset &+ Int64(offsetDelta),
                    timestamp: stamps.timestamp(Varint.decode64(rawTimestamp)), keyStart: keyStart,
                    keyCount: keyCount, valueStart: valueStart, valueCount: valueCount, headerStart: headerStart,
                    headerCount: 0))
            count &+= 1
            next = end
        }
        return count
    }

    /// The varint at `index` if it takes one to three bytes before `limit`
    /// (moving `index` past it), else nil; never calls out.
    @inline(__always)
    private static func shortVarint(_ base: UnsafeRawPointer, _ index: inout Int, limit: Int) -> UInt64? {
        let position = index
        guard position < limit else { return nil }
        let first = UInt64(base.load(fromByteOffset: position, as: UInt8.self))
        if first < 0x80 {
            index = position &+ 1
            return first
        }
        guard position &+ 1 < limit else { return nil }
        let second = UInt64(base.load(fromByteOffset: position &+ 1, as: UInt8.self))
        if second < 0x80 {
            index = position &+ 2
            return first & 0x7f | second << 7
        }
        guard position &+ 2 < limit else { return nil }
        let third = UInt64(base.load(fromByteOffset: position &+ 2, as: UInt8.self))
        guard third < 0x80 else { return nil }
        index = position &+ 3
        return first & 0x7f | (second & 0x7f) << 7 | third << 14
    }

    /// A length-prefixed field as `readField` reads it, or nil where
    /// `readField` would throw or the length takes more than three bytes.
    @inline(__always)
    private static func plainField(
        _ base: UnsafeRawPointer, _ position: inout Int, limit: Int
    ) -> (UnsafeRawPointer?, Int)? {
        guard let raw = shortVarint(base, &position, limit: limit) else { return nil }
        let length = Int(Varint.decode32(raw))
        guard length >= 0 else { return length == -1 ? (nil, 0) : nil }
        guard length <= limit &- position else { return nil }
        let start = base + position
        position &+= length
        return (start, length)
    }

    /// Makes room for `room` more records, at least doubling: reserving
    /// exact sizes batch after batch into one array would copy it
    /// quadratically.
    @inline(__always)
    private static func reserve(_ records: inout [RecordView], room: Int) {
        let needed = records.count + room
        if needed > records.capacity {
            records.reserveCapacity(max(needed, 2 * records.capacity))
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
        let stamps = RecordStamps(header)
        var position = 0
        do {
            while let body = RecordBoundaries.body(base, at: position, limit: chunk.count) {
                if skippingBelow > 0, let delta = offsetDelta(base, body: body.start, end: body.end),
                    delta < skippingBelow
                {
                    position = body.end
                    continue
                }
                records.append(
                    try decodeBody(base, from: body.start, to: body.end, recordStart: position, stamps, &headers))
                position = body.end
            }
        } catch {
            records.removeSubrange(recordsBefore...)
            headers.removeSubrange(headersBefore...)
            throw error
        }
        return position
    }

    /// The offset delta of the record whose body runs from `body` to `end`,
    /// read past its attributes and timestamp delta; nil if malformed.
    @inline(__always)
    private static func offsetDelta(_ base: UnsafeRawPointer, body: Int, end: Int) -> Int32? {
        guard body < end else { return nil }
        var index = body &+ 1
        guard (try? Varint.readRaw(base, &index, limit: end, maxBytes: 10, overrun: .invalidRecord)) != nil,
            let raw = try? Varint.readRaw(base, &index, limit: end, maxBytes: 5, overrun: .invalidRecord)
        else { return nil }
        return Varint.decode32(raw)
    }

    /// Decodes the body of the record that starts at `recordStart`: its
    /// fields from `start` to `bodyEnd`, which lie inside the section.
    /// Appends its headers to `headers`.
    @inline(__always)
    private static func decodeBody(
        _ base: UnsafeRawPointer, from start: Int, to bodyEnd: Int, recordStart: Int, _ stamps: RecordStamps,
        _ headers: inout [HeaderView]
    ) throws(FormatError) -> RecordView {
        // The attributes byte is unused; Kafka skips it too.
        guard start < bodyEnd else { throw emptyRecord(at: recordStart) }
        var position = start &+ 1
        let timestampDelta = Varint.decode64(
            try Varint.readRaw(base, &position, limit: bodyEnd, maxBytes: 10, overrun: .invalidRecord))
        let deltaAt = position
        let offsetDelta = Varint.decode32(
            try Varint.readRaw(base, &position, limit: bodyEnd, maxBytes: 5, overrun: .invalidRecord))
        // Every record's offset lies in its batch's range; one outside it
        // (the delta is under the CRC, so only a writer can put it there)
        // would give readers an offset below the batch's, or a negative one.
        guard UInt32(bitPattern: offsetDelta) <= UInt32(bitPattern: stamps.lastOffsetDelta) else {
            throw offsetDeltaOutside(offsetDelta, last: stamps.lastOffsetDelta, at: deltaAt)
        }
        let (keyStart, keyCount) = try readField(base, &position, limit: bodyEnd)
        let (valueStart, valueCount) = try readField(base, &position, limit: bodyEnd)
        let countAt = position
        let headerCount = Int(
            Varint.decode32(
                try Varint.readRaw(base, &position, limit: bodyEnd, maxBytes: 5, overrun: .invalidRecord)))
        let headerStart = headers.count
        if headerCount != 0 {
            guard headerCount > 0 && headerCount <= bodyEnd &- position else {
                throw badHeaderCount(headerCount, left: bodyEnd - position, at: countAt)
            }
            position = try decodeHeaders(base, from: position, to: bodyEnd, count: headerCount, &headers)
        }
        guard position == bodyEnd else {
            throw lengthMismatch(bodyEnd - start, parsed: position - start, at: recordStart)
        }
        return RecordView(
            offset: stamps.baseOffset &+ Int64(offsetDelta), timestamp: stamps.timestamp(timestampDelta),
            keyStart: keyStart, keyCount: keyCount, valueStart: valueStart, valueCount: valueCount,
            headerStart: headerStart, headerCount: headerCount)
    }

    /// Appends the `count` headers from `position` on to `headers` and
    /// returns where they end. Out of line: most records have none.
    @inline(never)
    private static func decodeHeaders(
        _ base: UnsafeRawPointer, from start: Int, to bodyEnd: Int, count: Int, _ headers: inout [HeaderView]
    ) throws(FormatError) -> Int {
        var position = start
        for _ in 0..<count {
            let keyAt = position
            let (keyStart, keyCount) = try readField(base, &position, limit: bodyEnd)
            guard let keyStart else { throw nullHeaderKey(at: keyAt) }
            let (valueStart, valueCount) = try readField(base, &position, limit: bodyEnd)
            headers.append(
                HeaderView(keyStart: keyStart, keyCount: keyCount, valueStart: valueStart, valueCount: valueCount))
        }
        return position
    }

    /// A length-prefixed byte field inside a record body: its start and
    /// length, the start nil for length -1.
    @inline(__always)
    private static func readField(
        _ base: UnsafeRawPointer, _ position: inout Int, limit: Int
    ) throws(FormatError) -> (UnsafeRawPointer?, Int) {
        let fieldStart = position
        let length = Int(
            Varint.decode32(try Varint.readRaw(base, &position, limit: limit, maxBytes: 5, overrun: .invalidRecord)))
        guard length >= 0 else {
            guard length == -1 else { throw negativeFieldLength(length, at: fieldStart) }
            return (nil, 0)
        }
        guard length <= limit &- position else { throw fieldPastRecord(length, at: fieldStart) }
        let start = base + position
        position &+= length
        return (start, length)
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
    private static func offsetDeltaOutside(_ delta: Int32, last: Int32, at position: Int) -> FormatError {
        FormatError(
            kind: .invalidRecord, position: position,
            detail: "record offset delta \(delta) is outside the batch's 0...\(last)")
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

/// What a batch's header adds to each record: the offset base and the
/// timestamp rule, as plain integers the loop keeps in registers.
struct RecordStamps {
    let baseOffset: Int64
    let lastOffsetDelta: Int32
    let timestampBase: Int64
    /// All ones, or zero for a LogAppendTime batch, whose records all take maxTimestamp.
    let deltaMask: Int64

    @inline(__always)
    init(_ header: RecordBatchHeader) {
        baseOffset = header.baseOffset
        lastOffsetDelta = header.lastOffsetDelta
        let appendTime = header.isLogAppendTime
        timestampBase = appendTime ? header.maxTimestamp : header.baseTimestamp
        deltaMask = appendTime ? 0 : -1
    }

    @inline(__always)
    func timestamp(_ delta: Int64) -> Int64 { timestampBase &+ (delta & deltaMask) }
}

/// The caller's arrays moved into locals for a loop (the caller's may be
/// captured variables, which every append would reload from memory) and
/// moved back after it; a swap moves only the references.
struct OutputArrays {
    var records: [RecordView] = []
    var headers: [HeaderView] = []

    @inline(__always)
    init(_ records: inout [RecordView], _ headers: inout [HeaderView]) {
        swap(&self.records, &records)
        swap(&self.headers, &headers)
    }

    @inline(__always)
    mutating func giveBack(_ records: inout [RecordView], _ headers: inout [HeaderView]) {
        swap(&self.records, &records)
        swap(&self.headers, &headers)
    }
}
