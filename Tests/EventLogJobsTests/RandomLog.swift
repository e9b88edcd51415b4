// SPDX-License-Identifier: Apache-2.0
// Random logs for the job tests, from a seeded generator so a failure
// reproduces: keys from a small set (some records without one),
// tombstones, headers, timestamps that mostly rise, batches of random
// sizes in small segments, and optionally a compaction that leaves gaps.
// The sequential model is what a cursor reads back.
import EventLog
import EventLogFormat
import EventLogTestSupport
import Foundation

/// A log in a scratch directory removed when the value goes.
final class ScratchLog {
    private let directory: TemporaryDirectory
    let path: String

    init(_ name: String = #function) {
        directory = TemporaryDirectory(name)
        path = directory.child("log")
    }

    /// Writes `count` random records with `seed`; compacts the closed
    /// segments if `compacted`. Returns the log, open for writing.
    func fill(count: Int, seed: UInt64, compacted: Bool = false) throws -> EventLog {
        var options = EventLogOptions()
        options.segmentBytes = 16 << 10
        options.batchMaxBytes = 1 << 20
        options.linger = .seconds(10)
        var log = try EventLog(path: path, options: options)
        var random = SeededGenerator(seed: seed)
        var timestamp: Int64 = 1_700_000_000_000
        var untilFlush = Int(random.next() % 40) + 1
        for _ in 0..<count {
            let roll = random.next() % 100
            let key: [UInt8]? = roll < 10 ? nil : Array("key-\(random.next() % 40)".utf8)
            let value: [UInt8]? =
                roll >= 90 ? nil : (0..<Int(random.next() % 60)).map { _ in UInt8(random.next() % 26 + 97) }
            let headers = roll % 7 == 0 ? [Header(key: "kind", value: Array("k\(roll % 3)".utf8))] : []
            timestamp += Int64(random.next() % 1000) - 100
            try log.append(key: key, value: value, headers: headers, timestamp: timestamp)
            untilFlush -= 1
            if untilFlush == 0 {
                try log.flush()
                untilFlush = Int(random.next() % 40) + 1
            }
        }
        try log.flush()
        if compacted {
            try log.close()
            var settings = CompactOptions()
            settings.currentTimeMilliseconds = timestamp
            _ = try EventLog.compact(at: path, options: settings)
            log = try EventLog(path: path, options: options)
        }
        return log
    }
}

/// A record read back by a cursor, owned.
struct ModelRecord: Equatable, Sendable {
    var offset: UInt64
    var timestamp: Int64
    var key: [UInt8]?
    var value: [UInt8]?
    var kind: [UInt8]??
}

func readBack(_ log: EventLog) throws -> [ModelRecord] {
    let cursor = try log.cursor(from: .oldest)
    var records: [ModelRecord] = []
    while let record = try cursor.next() {
        let kind: [UInt8]?? = record.headers.first { $0.key == "kind" }.map { .some($0.value) } ?? nil
        records.append(
            ModelRecord(
                offset: record.offset, timestamp: record.timestamp, key: record.key, value: record.value, kind: kind))
    }
    return records
}

/// A record lent by the scan, copied into the model's form.
struct JobRecordCopy {
    var model: ModelRecord
    var offset: UInt64 { model.offset }

    init(_ view: RecordView, _ headers: [HeaderView]) {
        let own = headers[view.headerStart..<(view.headerStart + view.headerCount)]
        let header = own.first { Array($0.key) == Array("kind".utf8) }
        let kind: [UInt8]?? = header.map { found -> [UInt8]? in found.value.map { Array($0) } }
        model = ModelRecord(
            offset: UInt64(view.offset), timestamp: view.timestamp, key: view.key.map { Array($0) },
            value: view.value.map { Array($0) }, kind: kind)
    }
}
