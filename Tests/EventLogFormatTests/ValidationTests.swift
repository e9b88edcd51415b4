// SPDX-License-Identifier: Apache-2.0
// Damaged batches and records are rejected with the right kind of error at
// the right byte, so recovery can truncate a segment at the first bad batch
// and a user can find the bad byte in a hex dump.
import EventLogFormat
import Testing

@Suite struct ValidationTests {
    static func sampleBatch(_ compression: Compression = .none) throws -> [UInt8] {
        var rng = SeededGenerator(seed: 21)
        return try makeBatch(randomRecords(count: 5, using: &rng), baseOffset: 40, compression: compression)
    }

    static func validate(_ bytes: [UInt8]) throws {
        _ = try bytes.withUnsafeBytes { try RecordBatch.validate($0) }
    }

    static func patched(_ bytes: [UInt8], _ change: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        var copy = bytes
        copy.withUnsafeMutableBytes { change($0.baseAddress!) }
        return copy
    }

    @Test(arguments: [Compression.none, .lz4])
    func everyFlippedPayloadByteIsACRCMismatch(compression: Compression) throws {
        let batch = try Self.sampleBatch(compression)
        for index in RecordBatchHeader.crcCoveredOffset..<batch.count {
            var damaged = batch
            damaged[index] ^= 0x01
            expectFormatError(.crcMismatch, at: 17) { try Self.validate(damaged) }
        }
        var damaged = batch
        damaged[18] ^= 0x80
        expectFormatError(.crcMismatch, at: 17) { try Self.validate(damaged) }
    }

    @Test func crcErrorNamesBothValues() throws {
        var damaged = try Self.sampleBatch()
        damaged[70] ^= 0xff
        do {
            try Self.validate(damaged)
            Issue.record("damaged batch validated")
        } catch let error as FormatError {
            let stored = damaged.withUnsafeBytes { BigEndian.load($0.baseAddress!, at: 17, as: UInt32.self) }
            let digits = String(stored, radix: 16)
            let storedHex = "0x" + String(repeating: "0", count: 8 - digits.count) + digits
            #expect(error.detail.hasPrefix("CRC mismatch: stored \(storedHex), computed 0x"))
            #expect(error.description.hasSuffix(" at byte 17"))
        }
    }

    @Test func structuralChecksInLayoutOrder() throws {
        let batch = try Self.sampleBatch()
        expectFormatError(.invalidLength, at: 8) {
            try Self.validate(Self.patched(batch) { BigEndian.store(Int32(48), to: $0, at: 8) })
        }
        expectFormatError(.invalidLength, at: 8) {
            try Self.validate(Self.patched(batch) { BigEndian.store(Int32(-1), to: $0, at: 8) })
        }
        expectFormatError(.unsupportedMagic, at: 16) {
            try Self.validate(Self.patched(batch) { $0.storeBytes(of: 1, toByteOffset: 16, as: Int8.self) })
        }
        expectFormatError(.unsupportedCompression, at: 21) {
            try Self.validate(Self.patched(batch) { BigEndian.store(Int16(5), to: $0, at: 21) })
        }
        expectFormatError(.invalidRecord, at: 23) {
            try Self.validate(Self.patched(batch) { BigEndian.store(Int32(-2), to: $0, at: 23) })
        }
        expectFormatError(.invalidRecord, at: 57) {
            try Self.validate(Self.patched(batch) { BigEndian.store(Int32(-1), to: $0, at: 57) })
        }
        expectFormatError(.invalidRecord, at: 0) {
            try Self.validate(Self.patched(batch) { BigEndian.store(Int64.max - 2, to: $0, at: 0) })
        }
    }

    /// Kafka reads only the low attribute byte, but the codec must be defined.
    @Test func gzipSnappyZstdBatchesParse() throws {
        for codec: Int16 in [1, 2, 4] {
            let batch = Self.patched(try Self.sampleBatch()) { BigEndian.store(codec, to: $0, at: 21) }
            let header = try batch.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
            #expect(header.compression?.rawValue == Int8(codec))
        }
    }

    @Test(arguments: [Compression.none, .lz4])
    func everyTruncationIsRejected(compression: Compression) throws {
        let batch = try Self.sampleBatch(compression)
        for length in 0..<batch.count {
            expectFormatError(.truncated, at: 0) { try Self.validate(Array(batch[..<length])) }
        }
        for length in 0..<RecordBatchHeader.logOverhead {
            expectFormatError(.truncated, at: 0) {
                _ = try Array(batch[..<length]).withUnsafeBytes { try RecordBatchHeader.peekOffsetAndLength($0) }
            }
        }
        let peeked = try batch.withUnsafeBytes { try RecordBatchHeader.peekOffsetAndLength($0) }
        #expect(peeked.baseOffset == 40 && Int(peeked.batchLength) == batch.count - 12)
    }

    @Test func bytesAfterTheBatchAreRejected() throws {
        let batch = try Self.sampleBatch()
        expectFormatError(.trailingBytes, at: batch.count) { try Self.validate(batch + [0]) }
    }

    // Records sections built by hand from the §2 tombstone record (18 bytes,
    // first byte = length 17 as zig-zag 0x22), under a header whose offset
    // range holds every record's offset delta (the tombstone's is 2).

    static let tombstone = GoldenVectorTests.tombstone

    static func decode(_ section: [UInt8], count: Int32 = 1, lastOffsetDelta: Int32 = .max) throws
        -> [DecodedRecord]
    {
        let header = RecordBatchHeader(
            baseOffset: 0, batchLength: Int32(49 + section.count), lastOffsetDelta: lastOffsetDelta,
            baseTimestamp: 0, maxTimestamp: 0, recordsCount: count)
        var records: [RecordView] = []
        var headers: [HeaderView] = []
        return try section.withUnsafeBytes { raw in
            try RecordDecoder.decode(recordsSection: raw, header: header, into: &records, headers: &headers)
            return materialize(records, headers)
        }
    }

    @Test func recordLengthMustMatchItsFields() {
        // A second record of length 18 whose fields take 17 bytes.
        expectFormatError(.invalidRecord, at: 18) {
            _ = try Self.decode(Self.tombstone + [0x24] + Self.tombstone.dropFirst() + [0x00], count: 2)
        }
        // Length 16: the last field (header value length, byte 17) falls outside the record.
        var short = Self.tombstone
        short[0] = 0x20
        expectFormatError(.invalidRecord, at: 17) { _ = try Self.decode(short) }
        // Length 18 with only 17 bytes after it: the record runs off the section.
        var long = Self.tombstone
        long[0] = 0x24
        expectFormatError(.truncated, at: 0) { _ = try Self.decode(long) }
        expectFormatError(.invalidLength, at: 0) { _ = try Self.decode([0x01] + Self.tombstone.dropFirst()) }
    }

    @Test func leftoverAndMissingRecords() {
        expectFormatError(.trailingBytes, at: 18) { _ = try Self.decode(Self.tombstone + [0x00]) }
        expectFormatError(.trailingBytes, at: 0) { _ = try Self.decode(Self.tombstone, count: 0) }
        expectFormatError(.recordCountMismatch, at: 18) { _ = try Self.decode(Self.tombstone, count: 2) }
        expectFormatError(.recordCountMismatch, at: 0) { _ = try Self.decode([], count: 1) }
        expectFormatError(.truncated, at: 18) { _ = try Self.decode(Self.tombstone + [0x80], count: 2) }
    }

    @Test func illegalFieldLengths() {
        var badKey = Self.tombstone
        badKey[4] = 0x03  // key length -2
        expectFormatError(.invalidLength, at: 4) { _ = try Self.decode(badKey) }
        var nullHeaderKey = Self.tombstone
        nullHeaderKey[13] = 0x01  // header key length -1
        expectFormatError(.invalidLength, at: 13) { _ = try Self.decode(nullHeaderKey) }
        var tooManyHeaders = Self.tombstone
        tooManyHeaders[12] = 0x0c  // 6 headers in 5 bytes
        expectFormatError(.invalidLength, at: 12) { _ = try Self.decode(tooManyHeaders) }
        var negativeHeaders = Self.tombstone
        negativeHeaders[12] = 0x01
        expectFormatError(.invalidLength, at: 12) { _ = try Self.decode(negativeHeaders) }
        var longKey = Self.tombstone
        longKey[4] = 0x20  // key of 16 bytes inside a 17-byte record
        expectFormatError(.invalidRecord, at: 4) { _ = try Self.decode(longKey) }
        var overlongVarint = Self.tombstone
        overlongVarint.replaceSubrange(2..<3, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
        overlongVarint[0] = 0x36  // length 27 to cover the 10 extra bytes
        expectFormatError(.invalidVarint, at: 2) { _ = try Self.decode(overlongVarint) }
    }

    /// A record's offset delta must lie in its batch's 0...lastOffsetDelta:
    /// one past it, or a negative one, would give readers an offset outside
    /// the batch (below 0 for the first batch of a log).
    @Test func offsetDeltaOutsideTheBatchIsRejected() throws {
        for (delta, last): (UInt8, Int32) in [(0x04, 1), (0x01, 5), (0x7f, 5)] {
            var record = Self.tombstone
            record[3] = delta  // zig-zag: 2, -1, -64
            let header = RecordBatchHeader(
                baseOffset: 0, batchLength: Int32(49 + record.count), lastOffsetDelta: last, baseTimestamp: 0,
                maxTimestamp: 0, recordsCount: 1)
            var records: [RecordView] = []
            var headers: [HeaderView] = []
            expectFormatError(.invalidRecord, at: 3) {
                try record.withUnsafeBytes {
                    try RecordDecoder.decode(recordsSection: $0, header: header, into: &records, headers: &headers)
                }
            }
        }
    }

    @Test func failedDecodeLeavesTheArraysAsTheyWere() throws {
        let good = try Self.decode(Self.tombstone)
        #expect(good.count == 1)
        let header = RecordBatchHeader(
            baseOffset: 0, batchLength: 49 + 37, lastOffsetDelta: 2, baseTimestamp: 0, maxTimestamp: 0, recordsCount: 2)
        var records: [RecordView] = []
        var headers: [HeaderView] = []
        let section = Self.tombstone + Self.tombstone + [0x00]
        expectFormatError(.trailingBytes, at: 36) {
            try section.withUnsafeBytes {
                try RecordDecoder.decode(recordsSection: $0, header: header, into: &records, headers: &headers)
            }
        }
        #expect(records.isEmpty && headers.isEmpty)
    }
}
