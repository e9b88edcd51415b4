// SPDX-License-Identifier: Apache-2.0
// BatchDecoder: one decoder for every codec gives the records a batch holds,
// reports where LZ4 blocks start, says so for codecs it does not read, and
// leaves nothing behind when a batch does not decode.
import EventLogFormat
import Testing

@Suite struct BatchDecoderTests {
    /// Decodes `batch` with `decoder`; returns whether its codec was read.
    static func decode(_ batch: [UInt8], with decoder: BatchDecoder) throws -> Bool {
        try batch.withUnsafeBytes { raw in
            let header = try RecordBatchHeader(parsing: raw)
            return try decoder.decode(header, payload: UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.size...]))
        }
    }

    @Test(arguments: [Compression.none, .lz4])
    func decodesBatchAfterBatchWithOneDecoder(compression: Compression) throws {
        var rng = SeededGenerator(seed: 21)
        let decoder = BatchDecoder(bufferCapacity: 16)
        for round in 0..<4 {
            let records = randomRecords(count: 200 + 300 * round, using: &rng)
            let batch = try makeBatch(records, baseOffset: Int64(round) * 1000, compression: compression)
            #expect(try Self.decode(batch, with: decoder))
            #expect(materialize(decoder.records, decoder.headers) == expected(records, baseOffset: Int64(round) * 1000))
            #expect(try decodeBatch(batch).1 == materialize(decoder.records, decoder.headers))
        }
    }

    @Test func reportsWhereLZ4BlocksStart() throws {
        var rng = SeededGenerator(seed: 22)
        let records = randomRecords(count: 3000, using: &rng, maxValue: 400)
        let decoder = BatchDecoder()
        #expect(try Self.decode(try makeBatch(records, compression: .lz4), with: decoder))
        let starts = decoder.blockStarts
        #expect(starts.count > 8)
        #expect(starts.first?.outputPosition == 0)
        #expect(zip(starts, starts.dropFirst()).allSatisfy { $0.outputPosition < $1.outputPosition })
        #expect(starts.last!.outputPosition < decoder.section.count)
        #expect(try Self.decode(try makeBatch(records, compression: .none), with: decoder))
        #expect(decoder.blockStarts.isEmpty)
    }

    @Test func codecsItDoesNotReadDecodeNothing() throws {
        var rng = SeededGenerator(seed: 23)
        let decoder = BatchDecoder()
        var batch = try makeBatch(randomRecords(count: 10, using: &rng))
        #expect(try Self.decode(batch, with: decoder))
        batch[RecordBatchHeader.attributesOffset + 1] |= 4  // zstd
        #expect(try !Self.decode(batch, with: decoder))
        #expect(decoder.records.isEmpty && decoder.headers.isEmpty)
    }

    @Test func aFailedDecodeLeavesNoRecords() throws {
        var rng = SeededGenerator(seed: 24)
        let decoder = BatchDecoder()
        let good = try makeBatch(randomRecords(count: 50, using: &rng), compression: .lz4)
        #expect(try Self.decode(good, with: decoder))
        var damaged = good
        damaged.removeLast(8)
        expectFormatError(.truncated) { _ = try Self.decode(damaged, with: decoder) }
        #expect(decoder.records.isEmpty && decoder.headers.isEmpty && decoder.blockStarts.isEmpty)
        let limited = BatchDecoder(limit: 100)
        expectFormatError(.tooLarge) { _ = try Self.decode(good, with: limited) }
    }
}
