// SPDX-License-Identifier: Apache-2.0
// Property test in the spirit of the fuzzer: random mutations of valid
// batches go through every parser (header, CRC validation, LZ4, record
// decoding, also past a failed CRC so the deep parsers see damage). Any
// result is fine except a crash, and every error must point inside the input.
import EventLogFormat
import Testing

@Suite struct MutationTests {
    static func seeds() throws -> [[UInt8]] {
        var rng = SeededGenerator(seed: 99)
        let small = randomRecords(count: 6, using: &rng, maxValue: 40)
        let compressible = (0..<20).map {
            TestRecord(
                timestamp: Int64(1_000 + $0), key: Array("key-\($0 % 3)".utf8),
                value: jsonLikeText(bytes: 120, seed: UInt64($0)))
        }
        return [
            try makeBatch(small), try makeBatch(small, compression: .lz4),
            try makeBatch(compressible, compression: .lz4), try makeBatch([]),
        ]
    }

    static func mutate(_ input: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1: bytes[at] = [0x00, 0x01, 0x7f, 0x80, 0xff].randomElement(using: &rng)!
            case 2: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 3: bytes.removeSubrange(at...)
            case 4: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            default: bytes.remove(at: at)
            }
        }
        return bytes
    }

    /// Runs every parser over `bytes`, checking error positions.
    static func exercise(_ bytes: [UInt8], lz4: KafkaLZ4, scratch: ByteBuffer) {
        func check(_ error: FormatError, within count: Int) {
            #expect(error.position >= 0 && error.position <= count, "\(error) in \(count) bytes")
        }
        bytes.withUnsafeBytes { raw in
            do throws(FormatError) { _ = try RecordBatch.validate(raw) } catch { check(error, within: raw.count) }
            let header: RecordBatchHeader
            do throws(FormatError) { header = try RecordBatchHeader(parsing: raw) } catch {
                check(error, within: raw.count)
                return
            }
            let section = UnsafeRawBufferPointer(rebasing: raw[61..<min(raw.count, max(61, header.totalSize))])
            var records: [RecordView] = []
            var headers: [HeaderView] = []
            do throws(FormatError) {
                try RecordDecoder.decode(recordsSection: section, header: header, into: &records, headers: &headers)
            } catch { check(error, within: section.count) }
            scratch.removeAll()
            do throws(FormatError) {
                _ = try lz4.decompress(section, into: scratch, limit: 1 << 20)
            } catch {
                check(error, within: section.count)
                return
            }
            scratch.withUnsafeBytes { plain in
                do throws(FormatError) {
                    try RecordDecoder.decode(recordsSection: plain, header: header, into: &records, headers: &headers)
                } catch { check(error, within: plain.count) }
            }
            for record in records {
                #expect(record.headerStart + record.headerCount <= headers.count)
            }
        }
    }

    @Test func randomMutationsNeverCrash() throws {
        var rng = SeededGenerator(seed: 2024)
        let lz4 = KafkaLZ4()
        let scratch = ByteBuffer(capacity: 0)
        for seed in try Self.seeds() {
            for _ in 0..<3_000 {
                Self.exercise(Self.mutate(seed, using: &rng), lz4: lz4, scratch: scratch)
            }
        }
    }

    /// A CRC-valid batch whose records section is random bytes: the CRC no
    /// longer shields the decoder, as with a file crafted to attack it.
    @Test func randomPayloadsWithValidCRCNeverCrash() {
        var rng = SeededGenerator(seed: 7)
        let lz4 = KafkaLZ4()
        let scratch = ByteBuffer(capacity: 0)
        for _ in 0..<3_000 {
            let payload = rng.bytes(Int.random(in: 0...80, using: &rng))
            let count = Int32.random(in: 0...6, using: &rng)
            var batch = [UInt8](repeating: 0, count: 61) + payload
            batch.withUnsafeMutableBytes {
                RecordBatchHeader(
                    baseOffset: 0, batchLength: Int32($0.count - 12), attributes: Bool.random(using: &rng) ? 3 : 0,
                    lastOffsetDelta: .max, baseTimestamp: 0, maxTimestamp: 0, recordsCount: count
                ).write(to: $0.baseAddress!)
                RecordBatch.updateCRC($0)
            }
            Self.exercise(batch, lz4: lz4, scratch: scratch)
            Self.exercise(
                Array(batch.prefix(61)) + [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82] + payload, lz4: lz4,
                scratch: scratch)
        }
    }
}
