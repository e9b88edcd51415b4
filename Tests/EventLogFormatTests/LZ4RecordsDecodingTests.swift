// SPDX-License-Identifier: Apache-2.0
// Decoding an LZ4 records section block by block while it is decompressed
// must give what decompressing it first and decoding it afterwards gives:
// the same records, and for a malformed section the same error at the same
// position, with the caller's arrays left as they were.
import EventLogFormat
import Testing

@Suite struct LZ4RecordsDecodingTests {
    /// A records section compressed as Kafka frames it (64 KiB blocks cut
    /// anywhere) or as the writer does (blocks ending at records).
    static func frame(_ section: [UInt8], recordAligned: Bool) throws -> [UInt8] {
        let output = ByteBuffer(capacity: 64)
        try section.withUnsafeBytes { raw in
            let lz4 = KafkaLZ4()
            _ = try recordAligned ? lz4.compressRecords(raw, into: output) : lz4.compress(raw, into: output)
        }
        return output.withUnsafeBytes { Array($0) }
    }

    /// Decodes `frame` while decompressing it into `buffer`, after records
    /// and headers of an earlier batch, and returns only this batch's.
    static func decodeWhileDecompressing(
        _ frame: [UInt8], header: RecordBatchHeader, buffer: ByteBuffer, earlier: ([RecordView], [HeaderView])
    ) throws -> [DecodedRecord] {
        var (records, headers) = earlier
        var blockStarts: [LZ4BlockStart] = []
        _ = try frame.withUnsafeBytes { raw in
            try RecordDecoder.decode(
                lz4Frame: raw, using: KafkaLZ4(), buffer: buffer, limit: 1 << 30, header: header, into: &records,
                headers: &headers, blockStarts: &blockStarts)
        }
        return Array(materialize(records, headers).dropFirst(earlier.0.count))
    }

    /// Decompresses `frame` whole, then decodes it.
    static func decodeAfterwards(_ frame: [UInt8], header: RecordBatchHeader) throws -> [DecodedRecord] {
        let plain = ByteBuffer(capacity: 64)
        _ = try frame.withUnsafeBytes { try KafkaLZ4().decompress($0, into: plain, limit: 1 << 30) }
        var records: [RecordView] = []
        var headers: [HeaderView] = []
        try plain.withUnsafeBytes {
            try RecordDecoder.decode(recordsSection: $0, header: header, into: &records, headers: &headers)
        }
        return materialize(records, headers)
    }

    /// Records of an earlier batch in the arrays, pointing into bytes that stay put.
    nonisolated(unsafe) static let earlierBytes: UnsafeMutableRawBufferPointer = {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        bytes.initializeMemory(as: UInt8.self, repeating: 7)
        return bytes
    }()
    static func earlier() -> ([RecordView], [HeaderView]) {
        let view = UnsafeRawBufferPointer(rebasing: earlierBytes[0..<4])
        return (
            [RecordView(offset: -5, timestamp: 1, key: view, value: nil, headerStart: 0, headerCount: 1)],
            [HeaderView(key: view, value: view)]
        )
    }

    @Test(arguments: [false, true])
    func recordsMatchDecodingAfterDecompressing(recordAligned: Bool) throws {
        var rng = SeededGenerator(seed: recordAligned ? 11 : 12)
        // Values up to 3 KiB, so that records straddle 64 KiB blocks.
        let written = randomRecords(count: 400, using: &rng, maxValue: 3000)
        let batch = try makeBatch(written, baseOffset: 1000, compression: .lz4)
        let header = try batch.withUnsafeBytes { try RecordBatch.validate($0) }
        let compressed = try Self.frame(Self.sectionOf(batch), recordAligned: recordAligned)
        let reference = try Self.decodeAfterwards(compressed, header: header)
        #expect(reference == expected(written, baseOffset: 1000))
        // A buffer that starts tiny moves as it grows, under records already
        // decoded; one with bytes in it already puts the section after them.
        let tiny = ByteBuffer(capacity: 16)
        let used = ByteBuffer(capacity: 1 << 20)
        used.append(UnsafeRawBufferPointer(Self.earlierBytes))
        for buffer in [tiny, used] {
            let decoded = try Self.decodeWhileDecompressing(
                compressed, header: header, buffer: buffer, earlier: Self.earlier())
            #expect(decoded.count == reference.count)
            let firstDifference = zip(decoded, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(firstDifference == nil, "record \(firstDifference ?? -1) differs")
        }
    }

    /// The records section of a sealed LZ4 batch, decompressed.
    static func sectionOf(_ batch: [UInt8]) throws -> [UInt8] {
        let plain = ByteBuffer(capacity: 64)
        _ = try batch.withUnsafeBytes {
            try KafkaLZ4().decompress(
                UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.size...]), into: plain, limit: 1 << 30)
        }
        return plain.withUnsafeBytes { Array($0) }
    }

    @Test func malformedSectionsFailAsWhenDecodedAfterwards() throws {
        let tombstone = GoldenVectorTests.tombstone
        var long = tombstone
        long[0] = 0x24  // runs off the section
        var badKey = tombstone
        badKey[4] = 0x03  // key length -2
        var tooManyHeaders = tombstone
        tooManyHeaders[12] = 0x0c
        // A run of good records long enough for several blocks, then damage.
        let many = Array([[UInt8]](repeating: tombstone, count: 8000).joined())
        let cases: [(section: [UInt8], count: Int32)] = [
            (tombstone + [0x00], 1), (tombstone, 0), (tombstone, 2), ([], 1), (tombstone + [0x80], 2),
            (long, 1), (badKey, 1), (tooManyHeaders, 1), (many + [0x00], 8000), (many, 8001), (many, 7999),
            (many + badKey, 8001), (many + long, 8001),
        ]
        for (section, count) in cases {
            let header = RecordBatchHeader(
                baseOffset: 0, batchLength: Int32(49 + section.count), lastOffsetDelta: .max,
                baseTimestamp: 0, maxTimestamp: 0, recordsCount: count)
            for recordAligned in [false, true] {
                let compressed = try Self.frame(section, recordAligned: recordAligned)
                var reference: FormatError?
                do {
                    _ = try Self.decodeAfterwards(compressed, header: header)
                } catch {
                    reference = error as? FormatError
                }
                let kind = try #require(reference?.kind, "section of \(section.count) bytes, \(count) records")
                var (records, headers) = Self.earlier()
                var blockStarts: [LZ4BlockStart] = []
                expectFormatError(kind, at: reference?.position) {
                    _ = try compressed.withUnsafeBytes { raw in
                        try RecordDecoder.decode(
                            lz4Frame: raw, using: KafkaLZ4(), buffer: ByteBuffer(capacity: 16), limit: 1 << 30,
                            header: header, into: &records, headers: &headers, blockStarts: &blockStarts)
                    }
                }
                #expect(records.count == 1 && headers.count == 1)
            }
        }
    }
}
