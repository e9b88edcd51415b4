// SPDX-License-Identifier: Apache-2.0
// BatchScanner: a walk over a segment's batches that stops at damage, or
// goes on from the next intact batch, as its caller chooses.
import EventLogFormat
import EventLogStorage
import Testing

@Suite struct BatchScannerTests {
    @Test func stopsOrResyncsAtDamage() throws {
        var bytes = try segmentBytes([5, 5, 5])
        var positions: [Int] = []
        let whole = bytes.withUnsafeBytes { raw in
            BatchScanner.scan(raw, from: 0, limit: raw.count) { positions.append($0.position) }
        }
        #expect(whole.validEnd == bytes.count && whole.damage == nil && positions.count == 3)
        let firstSize = positions[1]
        bytes[firstSize + RecordBatchHeader.size + 3] ^= 0xFF  // the second batch fails its CRC
        bytes.withUnsafeBytes { raw in
            var stopped: [Int64] = []
            let outcome = BatchScanner.scan(raw, from: 0, limit: raw.count) { stopped.append($0.header.baseOffset) }
            #expect(stopped == [0])
            #expect(outcome.validEnd == firstSize && outcome.damage?.kind == .crcMismatch)
            var resynced: [Int64] = []
            let again = BatchScanner.scan(raw, from: 0, limit: raw.count, onDamage: .resync) {
                resynced.append($0.header.baseOffset)
            }
            #expect(resynced == [0, 10])
            #expect(again.validEnd == outcome.validEnd)
        }
    }
}
