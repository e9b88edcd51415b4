// SPDX-License-Identifier: Apache-2.0
// Plain records are decoded by a loop that reads a record's first varints as
// one word, checked against the shape (the varints' sizes) of the record
// before it; other records go to the full decoder. These tests build runs of
// records of many shapes, the same shape in a row and a new one each time,
// with fields at every varint size, and damage them: the decoder must give
// back what was written, and accept exactly what the full decoder alone
// accepts, with the same fields.
import EventLogFormat
import Testing

@Suite struct RecordShapeTests {
    /// Lengths whose varints take one, two and three bytes (zig-zag
    /// doubles them: 63 is the last of one byte, 8,191 of two).
    static let lengths: [ClosedRange<Int>] = [0...63, 64...200, 8_000...8_191, 8_192...9_000]
    /// Timestamp deltas of one to four bytes, both signs.
    static let deltas: [ClosedRange<Int64>] = [-64...63, -8_192...8_191, -1_048_576...1_048_575, 1_048_576...9_000_000]

    /// Runs of 1 to 40 records that share a shape, run after run.
    static func runsOfShapes(seed: UInt64, count: Int) -> [TestRecord] {
        var rng = SeededGenerator(seed: seed)
        var records: [TestRecord] = []
        let base = Int64.random(in: 10_000_000...1_800_000_000_000, using: &rng)
        while records.count < count {
            let keyLengths = lengths[Int.random(in: 0..<3, using: &rng)]
            let valueLengths = lengths.randomElement(using: &rng)!
            let delta = deltas.randomElement(using: &rng)!
            let nullKey = Int.random(in: 0..<8, using: &rng) == 0
            let nullValue = Int.random(in: 0..<8, using: &rng) == 0
            let headers = Int.random(in: 0..<8, using: &rng) == 0
            for _ in 0..<Int.random(in: 1...40, using: &rng) {
                records.append(
                    TestRecord(
                        timestamp: base + Int64.random(in: delta, using: &rng),
                        key: nullKey ? nil : rng.bytes(Int.random(in: keyLengths, using: &rng)),
                        value: nullValue ? nil : rng.bytes(Int.random(in: valueLengths, using: &rng)),
                        headers: headers ? [TestHeader(key: Array("h".utf8), value: rng.bytes(3))] : []))
            }
        }
        return records
    }

    /// The C loop writes views only where its struct is RecordView's
    /// layout; if they ever part, it would be left off without a word.
    @Test func theCLoopWritesRecordViewsLaidOutAsItsOwn() {
        #expect(PlainRecordsInC.viewLayoutMatches)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func recordsOfEveryShapeComeBackAsWritten(seed: UInt64) throws {
        let records = Self.runsOfShapes(seed: seed, count: 600)
        for compression in [Compression.none, .lz4] {
            let batch = try makeBatch(records, baseOffset: 5_000, compression: compression)
            let (_, decoded) = try decodeBatch(batch)
            #expect(decoded == expected(records, baseOffset: 5_000), "\(compression)")
        }
    }

    /// Records of one shape, as a log of events holds them, and a bit
    /// changed in a record's fields before its value or in its header
    /// count: a varint's continuation bit or sign, a length, an offset
    /// delta past the batch's last, a header where there was none.
    @Test(arguments: [5, 6, 7] as [UInt64])
    func damagedRecordsAreAcceptedOnlyAsTheFullDecoderAcceptsThem(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let records = (0..<120).map { index in
            TestRecord(
                timestamp: 1_700_000_000_000 + Int64(index % 70), key: Array("key-\(index % 9)".utf8),
                value: rng.bytes(Int.random(in: 20...140, using: &rng)))
        }
        let batch = try makeBatch(records)
        let header = try batch.withUnsafeBytes { try RecordBatch.validate($0) }
        let section = Array(batch[RecordBatchHeader.size...])
        let starts = Self.recordStarts(section)
        #expect(starts.count == records.count)
        var accepted = 0
        for _ in 0..<3_000 {
            var damaged = section
            for _ in 0..<Int.random(in: 1...2, using: &rng) {
                let record = Int.random(in: 0..<starts.count, using: &rng)
                let end = record + 1 < starts.count ? starts[record + 1] : section.count
                // The fields up to the value's length (a 5-byte key), or the header count.
                let at = Bool.random(using: &rng) ? end - 1 : starts[record] + Int.random(in: 0..<13, using: &rng)
                damaged[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
            let decoded = Self.decode(damaged, header)
            let full = Self.decodeOneByOne(damaged, header)
            // Compared whole, reported short: a record count, or "rejected".
            let agree = decoded == full
            #expect(agree, "decoded: \(Self.summary(decoded)), full decoder: \(Self.summary(full))")
            if decoded != nil { accepted += 1 }
        }
        // Some changes leave a sound batch (a timestamp delta, a key byte):
        // both paths must also agree on those.
        #expect(accepted > 0)
    }

    static func summary(_ records: [DecodedRecord]?) -> String {
        guard let records else { return "rejected" }
        let offsets = records.map(\.offset)
        return "\(records.count) records, offsets \(offsets.first ?? -1)...\(offsets.last ?? -1)"
    }

    /// Where each record of a sound section starts.
    static func recordStarts(_ section: [UInt8]) -> [Int] {
        var starts: [Int] = []
        var at = 0
        while at < section.count {
            starts.append(at)
            var raw: UInt64 = 0
            var shift: UInt64 = 0
            var byte: UInt8
            repeat {
                byte = section[at]
                raw |= UInt64(byte & 0x7f) << shift
                shift += 7
                at += 1
            } while byte & 0x80 != 0
            at += Int(raw >> 1)
        }
        return starts
    }

    /// The decoder as a reader runs it, fast loops included; nil if it throws.
    static func decode(_ section: [UInt8], _ header: RecordBatchHeader) -> [DecodedRecord]? {
        var records: [RecordView] = []
        var headers: [HeaderView] = []
        return section.withUnsafeBytes { raw in
            do {
                try RecordDecoder.decode(recordsSection: raw, header: header, into: &records, headers: &headers)
                return materialize(records, headers)
            } catch { return nil }
        }
    }

    /// The full decoder alone, record by record: what a section must decode
    /// to, or nil where it must be rejected.
    static func decodeOneByOne(_ section: [UInt8], _ header: RecordBatchHeader) -> [DecodedRecord]? {
        var records: [RecordView] = []
        var headers: [HeaderView] = []
        return section.withUnsafeBytes { raw in
            guard
                let end = try? RecordDecoder.decodeWholeRecords(
                    in: raw, header: header, into: &records, headers: &headers),
                end == raw.count, records.count == Int(header.recordsCount)
            else { return nil }
            return materialize(records, headers)
        }
    }
}
