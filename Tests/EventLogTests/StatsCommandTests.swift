// SPDX-License-Identifier: Apache-2.0
// `eventlog stats` against a reference computed here from the records
// written: totals, distinct keys, what compaction would keep, the hottest
// keys and header values, a histogram by hour and ranges by offset and
// time, for one and several threads; bad arguments are usage errors;
// `--top 0` and timestamps at the ends of Int64 are answered, not crashed on.
import EventLog
import EventLogFormat
import Foundation
import Testing

@Suite struct StatsCommandTests {
    static let start: Int64 = 1_764_410_400_000  // 2025-11-29T10:00:00Z

    private struct Written {
        var offset: Int
        var key: String?
        var value: [UInt8]?
        var source: String?
        var timestamp: Int64
        var payload: Int { (key?.utf8.count ?? 0) + (value?.count ?? 0) + (source.map { 6 + $0.utf8.count } ?? 0) }
    }

    /// 4000 records over about five hours: keys of uneven heat, records
    /// without key, tombstones, a "source" header on some.
    private func makeLog(_ path: String) throws -> [Written] {
        var options = EventLogOptions()
        options.segmentBytes = 32 << 10
        let log = try EventLog(path: path, options: options)
        var random = SeededGenerator(seed: 42)
        var written: [Written] = []
        for offset in 0..<4000 {
            let roll = Int(random.next() % 100)
            let key: String? = roll < 8 ? nil : "k\(Int(random.next() % 50) * Int(random.next() % 3 + 1) % 60)"
            let value: [UInt8]? = roll >= 93 ? nil : Array(repeating: 120, count: Int(random.next() % 80))
            let source: String? = roll % 4 == 0 ? nil : "s\(roll % 3)"
            let timestamp = Self.start + Int64(offset) * 4_500 + Int64(random.next() % 3000)
            let headers = source.map { [Header(key: "source", value: Array($0.utf8))] } ?? []
            try log.append(key: key.map { Array($0.utf8) }, value: value, headers: headers, timestamp: timestamp)
            written.append(Written(offset: offset, key: key, value: value, source: source, timestamp: timestamp))
        }
        try log.close()
        return written
    }

    private func stats(_ arguments: [String]) throws -> [String: Any] {
        let result = try CLI.run(["stats"] + arguments + ["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// The reference: per group, its name, records and payload bytes,
    /// ordered as the command orders them (most records, then most bytes,
    /// then by the name shown, `absent` for records outside every group).
    private func ranking(_ records: [Written], _ group: (Written) -> String?, absent: String)
        -> [(name: String?, records: Int, bytes: Int)]
    {
        var tallies: [String?: (records: Int, bytes: Int)] = [:]
        for record in records {
            let name = group(record)
            tallies[name, default: (0, 0)].records += 1
            tallies[name, default: (0, 0)].bytes += record.payload
        }
        return tallies.sorted { a, b in
            if a.value.records != b.value.records { return a.value.records > b.value.records }
            if a.value.bytes != b.value.bytes { return a.value.bytes > b.value.bytes }
            return (a.key ?? absent).utf8.lexicographicallyPrecedes((b.key ?? absent).utf8)
        }
        .map { ($0.key, $0.value.records, $0.value.bytes) }
    }

    private func top(_ records: [Written], _ group: (Written) -> String?, _ count: Int, absent: String)
        -> [[String: Int]]
    {
        ranking(records, group, absent: absent).prefix(count).map {
            ["records": $0.records, "payload_bytes": $0.bytes]
        }
    }

    private func figures(_ rows: Any?) -> [[String: Int]] {
        ((rows as? [[String: Any]]) ?? []).map {
            ["records": $0["records"] as? Int ?? -1, "payload_bytes": $0["payload_bytes"] as? Int ?? -1]
        }
    }

    @Test func figuresMatchTheReference() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = try makeLog(path)
        for threads in ["1", "3"] {
            let all = try stats([path, "--top", "12", "--threads", threads])
            #expect(all["records"] as? Int == records.count)
            #expect(all["end_offset"] as? Int == records.count)
            #expect(all["payload_bytes"] as? Int == records.reduce(0) { $0 + $1.payload })
            #expect(all["tombstones"] as? Int == records.filter { $0.value == nil }.count)
            #expect(all["records_without_key"] as? Int == records.filter { $0.key == nil }.count)
            var latest: [String: Written] = [:]
            for record in records { if let key = record.key { latest[key] = record } }
            #expect(all["distinct_keys"] as? Int == latest.count)
            #expect(all["keys_ending_in_tombstone"] as? Int == latest.values.filter { $0.value == nil }.count)
            #expect(all["compaction_keeps"] as? Int == latest.count + records.filter { $0.key == nil }.count)
            #expect(all["min_timestamp"] as? Int64 == records.map(\.timestamp).min())
            #expect(all["max_timestamp"] as? Int64 == records.map(\.timestamp).max())
            #expect((all["stored_bytes"] as? Int ?? 0) > 0)
            let keys = try #require(all["keys"] as? [[String: Any]])
            #expect(figures(keys) == top(records, \.key, 12, absent: "(no key)"))
            // Ties are broken by name, so the names match too.
            #expect(
                keys.map { $0["value"] as? String }
                    == ranking(records, \.key, absent: "(no key)").prefix(12).map(\.name))

            let byHour = try stats([path, "--by", "hour", "--threads", threads])
            let hours = try #require(byHour["histogram"] as? [[String: Any]])
            var perHour: [Int64: Int] = [:]
            for record in records { perHour[record.timestamp / 3_600_000 * 3_600_000, default: 0] += 1 }
            #expect(hours.map { $0["records"] as? Int ?? -1 } == perHour.keys.sorted().map { perHour[$0]! })

            let bySource = try stats([path, "--by", "header:source", "--threads", threads])
            #expect(figures(bySource["header_values"]) == top(records, \.source, 10, absent: "(no header)"))
        }
    }

    @Test func rangesByOffsetAndTime() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = try makeLog(path)
        let slice = try stats([path, "--from", "1234", "--to", "3011"])
        #expect(slice["records"] as? Int == 3011 - 1234)
        #expect(slice["start_offset"] as? Int == 1234)
        #expect(slice["payload_bytes"] as? Int == records[1234..<3011].reduce(0) { $0 + $1.payload })
        // By time: from the first record at or after each time, as dump.
        let from = records[1000].timestamp
        let to = records[2000].timestamp
        let first = records.first { $0.timestamp >= from }!.offset
        let last = records.first { $0.timestamp >= to }!.offset
        let timed = try stats([path, "--from-time", String(from), "--to-time", String(to)])
        #expect(timed["records"] as? Int == last - first)
        #expect(timed["start_offset"] as? Int == first)
    }

    @Test func textOutputAndBadArguments() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try makeLog(path)
        let text = try CLI.run(["stats", path, "--top", "2"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("records      4000 in "))
        #expect(text.stdout.contains("compaction   would keep "))
        #expect(text.stdout.split(separator: "\n").filter { $0.hasPrefix("k") }.count == 2)
        for bad in [
            ["--by", "day"], ["--by", "header:"], ["--top", "-1"], ["--threads", "0"], ["--from", "5", "--to", "5"],
        ] {
            let result = try CLI.run(["stats", path] + bad)
            #expect(result.status == 2, "\(bad): \(result.stderr)")
        }
        let none = try stats([path, "--top", "0"])
        #expect((none["keys"] as? [Any])?.count == 0)
        let noneText = try CLI.run(["stats", path, "--top", "0"])
        #expect(noneText.status == 0, "\(noneText.stderr)")
        let missing = try CLI.run(["stats", dir.child("nothing")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nothing"))
    }

    /// Kafka's "no timestamp" (-1) and the oldest timestamp there is: a
    /// batch from another writer (or a damaged one with a valid CRC) can
    /// carry any. Time buckets round them down, or hold at Int64.min.
    @Test func timeBucketsOfTimestampsBeforeTheEpoch() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try Sample.writeLog(path, count: 400)
        let segment = Surgery.segments(path)[0]
        let batches = Surgery.batches(segment)
        var bytes = Surgery.bytes(segment)
        for (batch, base) in zip(batches.prefix(2), [Int64.min, -1]) {
            let at = batch.position + RecordBatchHeader.baseTimestampOffset
            bytes.withUnsafeMutableBytes { BigEndian.store(base, to: $0.baseAddress!, at: at) }
            bytes[batch.position..<batch.position + batch.size].withUnsafeMutableBytes { RecordBatch.updateCRC($0) }
        }
        Surgery.write(segment, bytes)
        for grouping in ["minute", "hour"] {
            let histogram = try #require(try stats([path, "--by", grouping])["histogram"] as? [[String: Any]])
            #expect(histogram.map { $0["records"] as? Int ?? 0 }.reduce(0, +) == 400)
            // Record i of the first batch is at Int64.min + i; the second's
            // at -1 + i: a bucket before the epoch and one from it; the
            // other batches' records lie within one minute.
            #expect(histogram.map { $0["records"] as? Int ?? 0 }.first == batches[0].recordCount)
            #expect(histogram.count == 4)
            let text = try CLI.run(["stats", path, "--by", grouping])
            #expect(text.status == 0, "\(text.stderr)")
        }
    }
}
