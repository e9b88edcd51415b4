// SPDX-License-Identifier: Apache-2.0
// A model of what compaction must leave (Docs/FORMAT.md §12), and helpers to
// build logs batch by batch and read them back. The model tracks each
// batch's delete horizon, since tombstones expire per batch: the first pass
// that keeps a tombstone of a batch stamps the batch, a later pass at or past
// the stamp drops the batch's tombstones.
import EventLog
import Foundation

final class CompactionModel {
    struct Batch {
        var offsets: Range<UInt64>
        var horizon: Int64?
    }

    /// The records that must still be in the log, by offset.
    private(set) var live: [UInt64: Record] = [:]
    private var batches: [Batch] = []
    let deleteRetention: Int64

    init(deleteRetention: Int64) { self.deleteRetention = deleteRetention }

    /// Appends `records` to `log` as one batch and records it.
    func append(_ records: [Record], to log: EventLog) throws {
        let first = try log.append(contentsOf: records)
        try log.flush()
        for (i, record) in records.enumerated() {
            var stored = record
            stored.offset = first + UInt64(i)
            live[stored.offset] = stored
        }
        batches.append(Batch(offsets: first..<first + UInt64(records.count), horizon: nil))
    }

    /// What a compaction at `now` does to the batches below `activeBase`.
    func compact(activeBase: UInt64, now: Int64) {
        var latest: [[UInt8]: UInt64] = [:]
        for (offset, record) in live {
            if let key = record.key { latest[key] = max(latest[key] ?? 0, offset) }
        }
        for b in batches.indices where batches[b].offsets.upperBound <= activeBase {
            let horizonPassed = batches[b].horizon.map { now >= $0 } ?? false
            var keepsTombstone = false
            for offset in batches[b].offsets {
                guard let record = live[offset], let key = record.key else { continue }
                if offset < latest[key]! || (record.value == nil && horizonPassed) {
                    live[offset] = nil
                } else if record.value == nil {
                    keepsTombstone = true
                }
            }
            if keepsTombstone && batches[b].horizon == nil { batches[b].horizon = now + deleteRetention }
        }
    }

    var records: [Record] { live.keys.sorted().map { live[$0]! } }

    /// The first live offset at or after `offset`, or nil.
    func firstOffset(atOrAfter offset: UInt64) -> UInt64? {
        live.keys.filter { $0 >= offset }.min()
    }
}

enum CompactionFixture {
    /// A batch of random records: keys from `keyCount` keys (some null),
    /// some tombstones, values of about `valueBytes` bytes, headers on some.
    static func randomBatch(
        _ generator: inout SeededGenerator, count: Int, keyCount: Int, valueBytes: Int = 100, time: Int64,
        tombstoneEvery: UInt64 = 10, nullKeyEvery: UInt64 = 20
    ) -> [Record] {
        (0..<count).map { i in
            let k = generator.next() % UInt64(keyCount)
            let key: [UInt8]? = generator.next() % nullKeyEvery == 0 ? nil : Array("key-\(k)".utf8)
            let tombstone = key != nil && generator.next() % tombstoneEvery == 0
            let fill = UInt8(truncatingIfNeeded: generator.next())
            let value: [UInt8]? =
                tombstone ? nil : Array("value-\(k)-".utf8) + [UInt8](repeating: fill, count: valueBytes)
            let headers = i % 3 == 0 ? [Header(key: "h", value: Array("\(i)".utf8)), Header(key: "n", value: nil)] : []
            return Record(timestamp: time + Int64(i), key: key, value: value, headers: headers)
        }
    }

    /// Every record from the oldest on, read through a fresh read-only handle.
    static func readAll(_ path: String) throws -> [Record] {
        var options = EventLogOptions()
        options.readOnly = true
        let log = try EventLog(path: path, options: options)
        defer { try? log.close() }
        let cursor = try log.cursor(from: .oldest)
        var records: [Record] = []
        while let record = try cursor.next() { records.append(record) }
        return records
    }

    /// Base offsets of the `.log` files in `path`.
    static func segmentBases(_ path: String) -> [UInt64] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.count == 24 && $0.hasSuffix(".log") }.compactMap { UInt64($0.prefix(20)) }.sorted()
    }

    static func files(_ path: String, suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Copies the directory `from` to a new path `to`.
    static func copyDirectory(_ from: String, to: String) throws {
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }
}
