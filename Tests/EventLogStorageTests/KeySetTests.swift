// SPDX-License-Identifier: Apache-2.0
// The key set compaction decides with (KeySet): walking the records from
// the newest back, batch after batch, a record is the latest of its key
// exactly when no later record has that key. Checked against a model for
// keys held in their slot (up to 16 bytes) and in the arena (longer), the
// empty key, records without a key, keys that differ only in their length
// or last byte, through the table's growth; under a share of the keys;
// and a set that fills up keeps every record it cannot decide.
import EventLogFormat
import Testing

@testable import EventLogStorage

@Suite struct KeySetTests {
    /// Distinct keys of 0 to 40 bytes, some only a length or a last byte
    /// apart, plus nil (a record without a key); their bytes stay put until
    /// `deallocate`.
    private struct KeyPool {
        var keys: [UnsafeRawBufferPointer?] = [nil]

        init(count: Int, generator: inout SeededGenerator) {
            var seen = Set<[UInt8]>()
            while keys.count < count {
                let length = Int(generator.next() % 41)
                let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next() % 4) }
                for variant in [bytes, bytes + [0], bytes.isEmpty ? [7] : bytes.dropLast() + [9]] {
                    guard seen.insert(variant).inserted else { continue }
                    let stored = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, variant.count), alignment: 8)
                    stored.copyBytes(from: variant)
                    keys.append(UnsafeRawBufferPointer(rebasing: stored[0..<variant.count]))
                }
            }
        }

        func deallocate() {
            for key in keys { if let key { UnsafeMutableRawPointer(mutating: key.baseAddress!).deallocate() } }
        }

        static func bytes(_ key: UnsafeRawBufferPointer?) -> [UInt8]? { key.map { Array($0) } }
    }

    /// Batches of records whose keys are drawn from `pool`, oldest first.
    private func batches(_ pool: KeyPool, count: Int, size: Int, generator: inout SeededGenerator) -> [[RecordView]] {
        var offset: Int64 = 0
        return (0..<count).map { _ in
            (0..<size).map { _ in
                defer { offset += 1 }
                let key = pool.keys[Int(generator.next() % UInt64(pool.keys.count))]
                return RecordView(offset: offset, timestamp: 0, key: key, value: nil, headerStart: 0, headerCount: 0)
            }
        }
    }

    /// Marks every batch, newest first, as compaction does; the marks of each batch in log order.
    private func mark(_ batches: [[RecordView]], with set: KeySet) -> [[Bool]] {
        var marks = [[Bool]](repeating: [], count: batches.count)
        var probes: [KeyProbe] = []
        for (i, records) in batches.enumerated().reversed() {
            KeyProbe.fill(&probes, of: records)
            var latest = [Bool](repeating: false, count: records.count)
            records.withUnsafeBufferPointer { records in
                probes.withUnsafeBufferPointer { probes in
                    latest.withUnsafeMutableBufferPointer { set.markLatest(records, probes: probes, into: $0) }
                }
            }
            marks[i] = latest
        }
        return marks
    }

    /// The model: a record is the latest of its key if none after it has
    /// the key; a record without a key always is. `decides` says which keys
    /// the set decides; the others are always kept.
    private func model(_ batches: [[RecordView]], decides: ([UInt8]) -> Bool = { _ in true }) -> [[Bool]] {
        var seen = Set<[UInt8]>()
        var marks = batches.map { [Bool](repeating: true, count: $0.count) }
        for i in batches.indices.reversed() {
            for n in batches[i].indices.reversed() {
                guard let key = KeyPool.bytes(batches[i][n].key), decides(key) else { continue }
                marks[i][n] = seen.insert(key).inserted
            }
        }
        return marks
    }

    /// Records whose marks differ (the arrays are too long to print).
    private func mismatches(_ marks: [[Bool]], _ expected: [[Bool]]) -> Int {
        zip(marks.joined(), expected.joined()).filter { $0 != $1 }.count + abs(marks.count - expected.count)
    }

    @Test func theLatestRecordOfEachKeyAsTheModelSays() {
        var generator = SeededGenerator(seed: 29)
        let pool = KeyPool(count: 3_000, generator: &generator)
        defer { pool.deallocate() }
        let log = batches(pool, count: 40, size: 500, generator: &generator)
        let set = KeySet()
        #expect(mismatches(mark(log, with: set), model(log)) == 0)
        let distinct = Set(log.joined().compactMap { KeyPool.bytes($0.key) })
        #expect(set.count == distinct.count)
        #expect(distinct.contains { $0.count > KeyProbe.inlineLimit } && distinct.contains { $0.isEmpty })
        #expect(!set.overflowed)
    }

    @Test func aShareDecidesItsKeysAndKeepsTheOthers() {
        var generator = SeededGenerator(seed: 30)
        let pool = KeyPool(count: 2_000, generator: &generator)
        defer { pool.deallocate() }
        let log = batches(pool, count: 20, size: 400, generator: &generator)
        let set = KeySet(partition: 1, of: 4)
        let inShare = { (key: [UInt8]) in key.withUnsafeBytes { KeySet.share(ofKey: $0, partitions: 4) == 1 } }
        #expect(mismatches(mark(log, with: set), model(log, decides: inShare)) == 0)
        #expect(set.count == Set(log.joined().compactMap { KeyPool.bytes($0.key) }.filter(inShare)).count)
    }

    @Test func aFullSetKeepsWhatItCannotDecide() {
        var generator = SeededGenerator(seed: 31)
        let pool = KeyPool(count: 20_000, generator: &generator)
        defer { pool.deallocate() }
        let log = batches(pool, count: 40, size: 1_000, generator: &generator)
        let set = KeySet(limitBytes: 256 << 10)
        let marks = mark(log, with: set)
        #expect(set.overflowed)
        // Whatever it marks obsolete is obsolete; it may keep more.
        let wronglyDropped = zip(marks.joined(), model(log).joined()).filter { !$0 && $1 }.count
        #expect(wronglyDropped == 0)
        #expect(marks.joined().filter { $0 }.count > model(log).joined().filter { $0 }.count)
    }
}
