// SPDX-License-Identifier: Apache-2.0
// Records written by the builder come back field for field after sealing
// (with and without LZ4), validation and decoding, and the sealed header has
// the values Kafka's producer would write.
import EventLogFormat
import Testing

@Suite struct RoundTripTests {
    @Test(arguments: [Compression.none, .lz4], [UInt64(1), 2, 3, 4, 5])
    func randomRecordsRoundTrip(compression: Compression, seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let records = randomRecords(count: Int.random(in: 1...200, using: &rng), using: &rng)
        let baseOffset = Int64.random(in: 0...1_000_000_000, using: &rng)
        let batch = try makeBatch(records, baseOffset: baseOffset, compression: compression)
        let (header, decoded) = try decodeBatch(batch)
        #expect(decoded == expected(records, baseOffset: baseOffset))
        #expect(header.totalSize == batch.count)
        #expect(header.baseOffset == baseOffset)
        #expect(header.partitionLeaderEpoch == -1)
        #expect(header.magic == 2)
        #expect(header.attributes == Int16(compression.rawValue))
        #expect(header.lastOffsetDelta == Int32(records.count - 1))
        #expect(header.baseTimestamp == records[0].timestamp)
        #expect(header.maxTimestamp == records.map(\.timestamp).max())
        #expect(header.producerId == -1 && header.producerEpoch == -1 && header.baseSequence == -1)
        #expect(header.recordsCount == Int32(records.count))
        if compression == .lz4 {
            #expect(Array(batch[61..<68]) == hex("04 22 4d 18 60 40 82"))
        }
    }

    @Test func nullAndEmptyFieldsStayDistinct() throws {
        let records = [
            TestRecord(timestamp: 10, key: nil, value: nil),
            TestRecord(timestamp: 11, key: [], value: []),
            TestRecord(timestamp: 12, key: [], value: nil, headers: [TestHeader(key: [], value: nil)]),
            TestRecord(timestamp: 13, key: nil, value: [], headers: [TestHeader(key: [], value: [])]),
            TestRecord(
                timestamp: 14, key: [1], value: [2],
                headers: [
                    TestHeader(key: [3], value: nil), TestHeader(key: [], value: [4]), TestHeader(key: [5], value: []),
                ]),
        ]
        for compression in [Compression.none, .lz4] {
            #expect(try decodeBatch(try makeBatch(records, compression: compression)).1 == expected(records))
        }
    }

    /// A later record may be older than the first: its timestamp delta is negative.
    @Test func olderLaterRecordsKeepTheirTimestamps() throws {
        let records = [1_000, 400, 0, 5_000, 999].map { TestRecord(timestamp: Int64($0), key: [1], value: [2]) }
        let (header, decoded) = try decodeBatch(try makeBatch(records))
        #expect(decoded.map(\.timestamp) == [1_000, 400, 0, 5_000, 999])
        #expect(header.baseTimestamp == 1_000)
        #expect(header.maxTimestamp == 5_000)
    }

    @Test(arguments: [Compression.none, .lz4])
    func valuesOverAMegabyte(compression: Compression) throws {
        var rng = SeededGenerator(seed: 11)
        let records = [
            TestRecord(timestamp: 1, key: Array("big".utf8), value: jsonLikeText(bytes: (1 << 20) + 12_345)),
            TestRecord(timestamp: 2, key: Array("random".utf8), value: rng.bytes((1 << 20) + 1)),
            TestRecord(timestamp: 3, key: nil, value: [1, 2, 3]),
        ]
        #expect(try decodeBatch(try makeBatch(records, compression: compression)).1 == expected(records))
    }

    @Test(arguments: [Compression.none, .lz4])
    func manyRecords(compression: Compression) throws {
        var rng = SeededGenerator(seed: 12)
        let records = randomRecords(count: 20_000, using: &rng, maxValue: 60)
        let (header, decoded) = try decodeBatch(try makeBatch(records, baseOffset: 1 << 40, compression: compression))
        #expect(decoded == expected(records, baseOffset: 1 << 40))
        #expect(header.lastOffset == (1 << 40) + 19_999)
    }

    @Test func encodedSizeAndEncodedBytesAgree() {
        var rng = SeededGenerator(seed: 13)
        let records = randomRecords(count: 100, using: &rng)
        let builder = RecordBatchBuilder()
        builder.reset(baseOffset: 0)
        var total = 0
        for (index, record) in records.enumerated() {
            total += withFields(of: record) { key, value, headers in
                RecordBatchBuilder.encodedSize(
                    offsetDelta: Int32(index), timestampDelta: record.timestamp - records[0].timestamp,
                    keyCount: key?.count, valueCount: value?.count, headers: headers)
            }
            append(record, to: builder)
            #expect(builder.encodedBytes == total)
        }
        #expect(builder.recordsCount == 100)
        #expect(builder.firstTimestamp == records[0].timestamp)
        #expect(builder.maxTimestamp == records.map(\.timestamp).max())
    }

    /// Kafka keeps header-only batches (count 0) where a last offset must survive; we write and read them.
    @Test(arguments: [Compression.none, .lz4])
    func emptyBatchIsHeaderOnly(compression: Compression) throws {
        let batch = try makeBatch([], baseOffset: 77, compression: compression)
        #expect(batch.count == RecordBatchHeader.size)
        let (header, decoded) = try decodeBatch(batch)
        #expect(decoded.isEmpty)
        #expect(header.recordsCount == 0 && header.lastOffsetDelta == 0 && header.compression == Compression.none)
        #expect(header.baseTimestamp == -1 && header.maxTimestamp == -1 && header.baseOffset == 77)
    }

    @Test func builderIsReusableAcrossBatches() throws {
        let builder = RecordBatchBuilder(initialCapacity: 0)
        let output = ByteBuffer(capacity: 0)
        var sizes: [Int] = []
        for (batch, compression) in [(0, Compression.lz4), (1, .none), (2, .lz4)] {
            builder.reset(baseOffset: Int64(batch * 10))
            for i in 0..<3 {
                append(
                    TestRecord(timestamp: Int64(batch * 100 + i), key: [UInt8(i)], value: [UInt8(batch)]), to: builder)
            }
            sizes.append(try builder.seal(compression: compression, into: output))
        }
        let all = output.withUnsafeBytes { Array($0) }
        #expect(sizes.reduce(0, +) == all.count)
        var start = 0
        for (batch, size) in sizes.enumerated() {
            let (header, decoded) = try decodeBatch(Array(all[start..<start + size]))
            #expect(header.baseOffset == Int64(batch * 10))
            #expect(decoded.map(\.offset) == [0, 1, 2].map { Int64(batch * 10 + $0) })
            #expect(decoded.map(\.value) == [[UInt8(batch)], [UInt8(batch)], [UInt8(batch)]])
            start += size
        }
    }

    @Test func unsupportedCodecsAreNotWritten() {
        let builder = RecordBatchBuilder()
        builder.reset(baseOffset: 0)
        append(TestRecord(timestamp: 0, key: nil, value: [1]), to: builder)
        let output = ByteBuffer(capacity: 0)
        for codec in [Compression.gzip, .snappy, .zstd] {
            expectFormatError(.unsupportedCompression) { _ = try builder.seal(compression: codec, into: output) }
        }
        #expect(output.count == 0)
    }

    /// Decoding appends after what the arrays already hold; headerStart indexes the whole array.
    @Test func decoderAppendsToPrefilledArrays() throws {
        let records = [
            TestRecord(timestamp: 5, key: [1], value: [1], headers: [TestHeader(key: [7], value: [8])]),
            TestRecord(timestamp: 6, key: [2], value: [2], headers: [TestHeader(key: [9], value: nil)]),
        ]
        let batch = try makeBatch(records)
        let filler: [UInt8] = [0]
        try filler.withUnsafeBytes { fill in
            var views = [RecordView(offset: -1, timestamp: -1, key: nil, value: nil, headerStart: 0, headerCount: 3)]
            var headerViews = Array(repeating: HeaderView(key: fill, value: nil), count: 3)
            try batch.withUnsafeBytes { raw in
                let header = try RecordBatch.validate(raw)
                try RecordDecoder.decode(
                    recordsSection: UnsafeRawBufferPointer(rebasing: raw[61...]), header: header, into: &views,
                    headers: &headerViews)
                #expect(views.count == 3 && headerViews.count == 5)
                #expect(views[1].headerStart == 3 && views[2].headerStart == 4)
                #expect(materialize(Array(views[1...]), headerViews) == expected(records))
            }
        }
    }

    /// After compaction a batch keeps its lastOffsetDelta and its records'
    /// offset deltas, so offsets have gaps; readers must accept that.
    @Test func compactedBatchWithGapsDecodes() throws {
        var first = GoldenVectorTests.tombstone
        first[3] = 0x00  // offsetDelta 0
        var second = GoldenVectorTests.tombstone
        second[3] = 0x08  // offsetDelta 4
        let records = first + second
        var batch = [UInt8](repeating: 0, count: RecordBatchHeader.size) + records
        batch.withUnsafeMutableBytes {
            RecordBatchHeader(
                baseOffset: 100, batchLength: Int32($0.count - 12), lastOffsetDelta: 6, baseTimestamp: 1_000,
                maxTimestamp: 1_020, recordsCount: 2
            ).write(to: $0.baseAddress!)
            RecordBatch.updateCRC($0)
        }
        let (header, decoded) = try decodeBatch(batch)
        #expect(decoded.map(\.offset) == [100, 104])
        #expect(header.lastOffset == 106 && header.nextOffset == 107)
    }

    /// LogAppendTime batches report maxTimestamp for every record; a delete
    /// horizon leaves record timestamps at baseTimestamp + delta.
    @Test func timestampTypes() throws {
        let records = [100, 50, 300].map { TestRecord(timestamp: Int64($0), key: [1], value: nil) }
        var batch = try makeBatch(records)
        func restamp(attributes: Int16, maxTimestamp: Int64) throws -> [Int64] {
            batch.withUnsafeMutableBytes {
                BigEndian.store(attributes, to: $0.baseAddress!, at: RecordBatchHeader.attributesOffset)
                BigEndian.store(maxTimestamp, to: $0.baseAddress!, at: RecordBatchHeader.maxTimestampOffset)
                RecordBatch.updateCRC($0)
            }
            return try decodeBatch(batch).1.map(\.timestamp)
        }
        #expect(try restamp(attributes: 0x08, maxTimestamp: 9_999) == [9_999, 9_999, 9_999])
        #expect(try restamp(attributes: 0x40, maxTimestamp: 300) == [100, 50, 300])
        #expect(try restamp(attributes: 0x00, maxTimestamp: 300) == [100, 50, 300])
    }
}
