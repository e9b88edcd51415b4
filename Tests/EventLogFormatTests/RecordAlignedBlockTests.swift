// SPDX-License-Identifier: Apache-2.0
// The writer's LZ4 blocks end at record boundaries: each block of a sealed
// batch starts with a whole record and holds at most 64 KiB, the frame stays
// one standard Kafka frame, and bytes that are not records still frame.
import EventLogFormat
import Testing

@Suite struct RecordAlignedBlockTests {
    @Test func everyBlockOfASealedBatchStartsAtARecord() throws {
        var rng = SeededGenerator(seed: 11)
        var records = randomRecords(count: 3000, using: &rng, maxValue: 400)
        records[1500].value = rng.bytes(150_000)  // a record larger than a block
        let batch = try makeBatch(records, compression: .lz4)
        let frame = Array(batch[RecordBatchHeader.size...])
        #expect(Array(frame.prefix(7)) == [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82])
        let lz4 = KafkaLZ4()
        let output = ByteBuffer(capacity: 16)
        var blocks: [LZ4BlockStart] = []
        let count = try frame.withUnsafeBytes {
            try lz4.decompress($0, into: output, limit: 1 << 30, blockStarts: &blocks) { (_: Int) throws(FormatError) in
            }
        }
        let section = output.withUnsafeBytes { Array($0) }
        #expect(lz4fDecompress(frame, capacity: count) == section)
        var starts = Set<Int>()
        section.withUnsafeBytes { bytes in
            var position = 0
            while let next = RecordBoundaries.recordEnd(bytes.baseAddress!, at: position, limit: bytes.count) {
                starts.insert(position)
                position = next
            }
            #expect(position == bytes.count)
        }
        #expect(blocks.count > 8)
        let ends = blocks.dropFirst().map(\.outputPosition) + [count]
        for (block, end) in zip(blocks, ends) { #expect(end - block.outputPosition <= 64 << 10) }
        // Only the large record is cut inside, into three blocks; the block
        // after it starts at a record again.
        let unaligned = blocks.filter { !starts.contains($0.outputPosition) }
        #expect(unaligned.count == 2)
        #expect(try decodeBatch(batch).1 == expected(records))
        // The builder chose its block ends while encoding; they are the ends
        // that walking the records' lengths finds.
        let walked = ByteBuffer(capacity: 16)
        _ = try section.withUnsafeBytes { try KafkaLZ4().compressRecords($0, into: walked) }
        let reader = KafkaLZ4()
        let walkedFrame = walked.withUnsafeBytes { Array($0) }
        let scratch = ByteBuffer(capacity: 16)
        var walkedBlocks: [LZ4BlockStart] = []
        _ = try walkedFrame.withUnsafeBytes {
            try reader.decompress($0, into: scratch, limit: 1 << 30, blockStarts: &walkedBlocks) {
                (_: Int) throws(FormatError) in
            }
        }
        #expect(walkedBlocks.map(\.outputPosition) == blocks.map(\.outputPosition))
    }

    @Test func bytesThatAreNotRecordsStillFrame() throws {
        var rng = SeededGenerator(seed: 12)
        for size in [1, 7, 1000, 70_000, 300_000] {
            let source = rng.bytes(size)
            let output = ByteBuffer(capacity: 16)
            _ = try source.withUnsafeBytes { try KafkaLZ4().compressRecords($0, into: output) }
            let frame = output.withUnsafeBytes { Array($0) }
            #expect(try decompress(frame) == source)
            #expect(lz4fDecompress(frame, capacity: size) == source)
        }
    }
}
