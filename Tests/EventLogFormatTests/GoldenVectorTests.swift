// SPDX-License-Identifier: Apache-2.0
// Golden byte vectors (Docs/FORMAT.md §3-§5 describe their bytes), which Kafka, kafka-python and aiokafka
// all read: if these pass, files we write have the bytes those readers expect.
import EventLogFormat
import Testing

@Suite struct GoldenVectorTests {
    static let baseTimestamp: Int64 = 1_700_000_000_000
    /// §2, record 2 of the demo batch: a tombstone with a null header value.
    static let tombstone = hex("22 00 28 04 0c 75 73 65 72 2d 31 01 02 06 73 72 63 01")
    static let tombstoneRecord = TestRecord(
        timestamp: baseTimestamp + 20, key: Array("user-1".utf8), value: nil,
        headers: [TestHeader(key: Array("src".utf8), value: nil)])

    @Test func tombstoneRecordDecodes() throws {
        let header = RecordBatchHeader(
            baseOffset: 100, batchLength: Int32(49 + Self.tombstone.count), lastOffsetDelta: 2,
            baseTimestamp: Self.baseTimestamp, maxTimestamp: Self.baseTimestamp + 20, recordsCount: 1)
        var records: [RecordView] = []
        var headers: [HeaderView] = []
        try Self.tombstone.withUnsafeBytes { section in
            try RecordDecoder.decode(recordsSection: section, header: header, into: &records, headers: &headers)
            #expect(
                materialize(records, headers) == [
                    DecodedRecord(
                        offset: 102, timestamp: Self.baseTimestamp + 20, key: Array("user-1".utf8), value: nil,
                        headers: [TestHeader(key: Array("src".utf8), value: nil)])
                ])
        }
    }

    @Test func tombstoneRecordReencodesExactly() throws {
        // Offset delta 2 needs two records before it.
        let first = TestRecord(timestamp: Self.baseTimestamp, key: [1], value: [2])
        let second = TestRecord(timestamp: Self.baseTimestamp + 10, key: nil, value: nil)
        let batch = try makeBatch([first, second, Self.tombstoneRecord])
        #expect(Array(batch.suffix(Self.tombstone.count)) == Self.tombstone)
        let size = withFields(of: Self.tombstoneRecord) { _, _, headers in
            RecordBatchBuilder.encodedSize(
                offsetDelta: 2, timestampDelta: 20, keyCount: 6, valueCount: nil, headers: headers)
        }
        #expect(size == 18)
    }

    /// §2, the first bytes of record 0: length varint `e4 01` is 114, value length `a0 01` is 80.
    @Test func recordZeroPrefixVarints() throws {
        let prefix = hex("e4 01 00 00 00 0c 75 73 65 72 2d 31 a0 01")
        try prefix.withUnsafeBytes { bytes throws in
            var index = 0
            #expect(try Varint.readInt32(bytes, at: &index) == 114)
            #expect(index == 2)
            index = 12
            #expect(try Varint.readInt32(bytes, at: &index) == 80)
        }
    }

    /// §6: the 61-byte header kafka-python wrote for the 3-record LZ4 demo batch.
    static let kafkaPythonHeader = hex(
        """
        00 00 00 00 00 00 00 00  00 00 00 ad  00 00 00 00  02  5b 2d cd a5  00 03  00 00 00 02
        00 00 01 8b cf e5 68 00  00 00 01 8b cf e5 68 14  ff ff ff ff ff ff ff ff  ff ff
        ff ff ff ff  00 00 00 03
        """)

    @Test func kafkaPythonHeaderParses() throws {
        let header = try Self.kafkaPythonHeader.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
        #expect(header.baseOffset == 0)
        #expect(header.batchLength == 173)
        #expect(header.totalSize == 185)
        #expect(header.partitionLeaderEpoch == 0)
        #expect(header.magic == 2)
        #expect(header.crc == 0x5b2d_cda5)
        #expect(header.attributes == 3)
        #expect(header.compression == .lz4)
        #expect(!header.isLogAppendTime && !header.isTransactional && !header.isControl && !header.hasDeleteHorizon)
        #expect(header.lastOffsetDelta == 2)
        #expect(header.lastOffset == 2)
        #expect(header.nextOffset == 3)
        #expect(header.baseTimestamp == Self.baseTimestamp)
        #expect(header.maxTimestamp == Self.baseTimestamp + 20)
        #expect(header.producerId == -1)
        #expect(header.producerEpoch == -1)
        #expect(header.baseSequence == -1)
        #expect(header.recordsCount == 3)
        var written = [UInt8](repeating: 0xEE, count: RecordBatchHeader.size)
        written.withUnsafeMutableBytes { header.write(to: $0.baseAddress!) }
        #expect(written == Self.kafkaPythonHeader)
    }

    /// §6: the Java-style header of the reference encoder. Its records cannot
    /// be rebuilt from the notes (record 1 and the LZ4 block bytes are not
    /// given), so this checks the field layout, and that our builder writes
    /// the same header for the same batch shape apart from length and CRC.
    static let javaStyleHeader = hex(
        """
        0000000000000000 000000a5 ffffffff 02 001afccd 0003 00000002 0000018bcfe56800 0000018bcfe56814
        ffffffffffffffff ffff ffffffff 00000003
        """)

    @Test func javaStyleHeaderLayout() throws {
        let parsed = try Self.javaStyleHeader.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
        #expect(
            parsed
                == RecordBatchHeader(
                    baseOffset: 0, batchLength: 0xa5, partitionLeaderEpoch: -1, magic: 2, crc: 0x001a_fccd,
                    attributes: 3, lastOffsetDelta: 2, baseTimestamp: Self.baseTimestamp,
                    maxTimestamp: Self.baseTimestamp + 20, producerId: -1, producerEpoch: -1, baseSequence: -1,
                    recordsCount: 3))
        #expect(Array(Self.javaStyleHeader[17..<21]) == [0x00, 0x1a, 0xfc, 0xcd])

        let records = [
            TestRecord(
                timestamp: Self.baseTimestamp, key: Array("user-1".utf8), value: Array(repeating: 0x61, count: 80)),
            TestRecord(
                timestamp: Self.baseTimestamp + 10, key: Array("user-2".utf8),
                value: Array(repeating: 0x62, count: 80)),
            Self.tombstoneRecord,
        ]
        let batch = try makeBatch(records, compression: .lz4)
        var ours = try batch.withUnsafeBytes { try RecordBatch.validate($0) }
        #expect(Array(batch[61..<68]) == hex("04 22 4d 18 60 40 82"))
        ours.batchLength = parsed.batchLength
        ours.crc = parsed.crc
        #expect(ours == parsed)
    }

    /// The CRC sits at bytes 17-20 and covers [21, end): baseOffset,
    /// batchLength, partitionLeaderEpoch and magic can change without it.
    @Test func crcPlacement() throws {
        let batch = try makeBatch([Self.tombstoneRecord], compression: .lz4)
        let stored = batch.withUnsafeBytes { BigEndian.load($0.baseAddress!, at: 17, as: UInt32.self) }
        #expect(stored == batch[21...].withUnsafeBytes { CRC32C.checksum($0) })

        var placed = batch
        placed.withUnsafeMutableBytes {
            BigEndian.store(Int64(123_456), to: $0.baseAddress!, at: 0)
            BigEndian.store(Int32(7), to: $0.baseAddress!, at: 12)
        }
        let header = try placed.withUnsafeBytes { try RecordBatch.validate($0) }
        #expect(header.baseOffset == 123_456 && header.partitionLeaderEpoch == 7)

        var damaged = batch
        damaged[21] ^= 0x40
        expectFormatError(.crcMismatch, at: 17) { _ = try damaged.withUnsafeBytes { try RecordBatch.validate($0) } }
    }

    @Test func crc32cCheckValue() {
        let digits = Array("123456789".utf8)
        #expect(digits.withUnsafeBytes { CRC32C.checksum($0) } == 0xE306_9283)
        let chained = digits[4...].withUnsafeBytes { tail in
            CRC32C.checksum(tail, continuing: digits[..<4].withUnsafeBytes { CRC32C.checksum($0) })
        }
        #expect(chained == 0xE306_9283)
    }

    /// Long buffers are checked in three interleaved streams joined by shift
    /// tables: every length around the part sizes, whole or in pieces, gives
    /// the CRC a bit-by-bit reference computes.
    @Test func crc32cOfLongBuffersMatchesTheBitwiseDefinition() {
        var rng = SeededGenerator(seed: 32)
        let data = rng.bytes(3 * 8192 * 2 + 3 * 256 + 100)
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = (crc >> 1) ^ (0x82F6_3B78 & (0 &- (crc & 1))) }
            }
            return ~crc
        }
        let lengths = [0, 1, 7, 8, 767, 768, 769, 775, 24_575, 24_576, 24_577, 25_344, 49_152, data.count]
        for length in lengths {
            let bytes = data[..<length]
            let expected = reference(bytes)
            #expect(bytes.withUnsafeBytes { CRC32C.checksum($0) } == expected, "length \(length)")
            let split = length / 3 + 5
            guard split < length else { continue }
            let head = bytes[..<split].withUnsafeBytes { CRC32C.checksum($0) }
            #expect(bytes[split...].withUnsafeBytes { CRC32C.checksum($0, continuing: head) } == expected)
        }
    }

    /// §4: a 2-batch segment's `.index` and `.timeindex` entries, as Kafka wrote them.
    @Test func indexEntries() {
        let offsetBytes = hex("00 00 00 05 00 00 00 b1")
        let timeBytes = hex("00 00 01 8b cf e5 6b fc 00 00 00 05")
        // One byte in, so the loads and stores are misaligned.
        var buffer = [UInt8](repeating: 0, count: 1 + TimeIndexEntry.size)
        buffer.withUnsafeMutableBytes {
            OffsetIndexEntry(relativeOffset: 5, position: 177).store(to: $0.baseAddress! + 1)
        }
        #expect(Array(buffer[1...OffsetIndexEntry.size]) == offsetBytes)
        #expect(
            buffer.withUnsafeBytes { OffsetIndexEntry(loadingFrom: $0.baseAddress! + 1) }
                == OffsetIndexEntry(relativeOffset: 5, position: 177))

        buffer.withUnsafeMutableBytes {
            TimeIndexEntry(timestamp: 1_700_000_001_020, relativeOffset: 5).store(to: $0.baseAddress! + 1)
        }
        #expect(Array(buffer[1...]) == timeBytes)
        #expect(
            buffer.withUnsafeBytes { TimeIndexEntry(loadingFrom: $0.baseAddress! + 1) }
                == TimeIndexEntry(timestamp: 1_700_000_001_020, relativeOffset: 5))
    }
}
