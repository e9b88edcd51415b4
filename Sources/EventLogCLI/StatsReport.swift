// SPDX-License-Identifier: Apache-2.0
// The output of `eventlog stats`, as text tables or one JSON object.
internal import EventLogJobs

struct StatsReport {
    let statistics: LogStatistics
    let grouping: StatsGrouping
    let top: Int
    let path: String

    /// The keys or header values with the most records (then the most
    /// bytes, then in byte order), or every time bucket in time order.
    var rows: [(StatsKey, Tally)] {
        if grouping.bucketMilliseconds != nil {
            return statistics.groups.sorted { Self.bucket($0.0) < Self.bucket($1.0) }
        }
        // The top few of possibly millions: kept in order as they come,
        // not sorted all.
        var best: [(StatsKey, Tally)] = []
        guard top > 0 else { return best }
        for group in statistics.groups where best.count < top || Self.ranksBefore(group, best[best.count - 1]) {
            let at = best.firstIndex { Self.ranksBefore(group, $0) } ?? best.count
            best.insert(group, at: at)
            if best.count > top { best.removeLast() }
        }
        return best
    }

    private static func ranksBefore(_ a: (StatsKey, Tally), _ b: (StatsKey, Tally)) -> Bool {
        if a.1.records != b.1.records { return a.1.records > b.1.records }
        if a.1.payloadBytes != b.1.payloadBytes { return a.1.payloadBytes > b.1.payloadBytes }
        return label(a.0).utf8.lexicographicallyPrecedes(label(b.0).utf8)
    }

    var text: String {
        let s = statistics
        let summary = s.summary
        var text = "log          \(path)\n"
        let offsets = summary.offsets
        text +=
            "offsets      " + (offsets.isEmpty ? "none" : "\(offsets.lowerBound) to \(offsets.upperBound - 1)") + "\n"
        text += "records      \(s.total.records) in \(counted(summary.batches, "batch", plural: "batches"))"
        text += ", \(s.total.tombstones) tombstones, \(s.recordsWithoutKey) without key\n"
        text += "batches      \(byteCount(UInt64(summary.storedBytes))) stored, "
        text += "\(byteCount(UInt64(summary.decodedBytes))) uncompressed"
        if summary.storedBytes > 0 {
            text += " (ratio \(decimal(Double(summary.decodedBytes) / Double(summary.storedBytes), places: 2)))"
        }
        text += "\npayload      \(byteCount(UInt64(s.total.payloadBytes))) of keys, values and headers\n"
        text += "keys         \(s.distinctKeys) distinct, \(s.keysEndingInTombstone) ending in a tombstone\n"
        text += "compaction   would keep \(s.compactionKeeps) of \(s.total.records) records"
        if s.total.records > 0 {
            text += " (\(decimal(100 * Double(s.compactionKeeps) / Double(s.total.records), places: 1))%)"
        }
        text += "\n"
        if s.total.records > 0 {
            text +=
                "time         \(TimeText.iso8601(s.total.minTimestamp)) to \(TimeText.iso8601(s.total.maxTimestamp))\n"
        }
        text += "read         \(summary.records) records in \(decimal(s.seconds, places: 3)) s"
        if s.seconds > 0 && summary.records > 0 {
            text += " (\(decimal(Double(summary.records) / s.seconds / 1e6, places: 2)) M records/s, "
            text += "\(decimal(s.seconds * 1e9 / Double(summary.records), places: 0)) ns a record)"
        }
        text += ", \(counted(s.workers, "worker"))\n"
        text += "\n" + table
        return text
    }

    private var table: String {
        let name =
            switch grouping {
            case .key: "KEY"
            case .header(let header): "HEADER \(header)"
            case .minute, .hour: "TIME"
            }
        let total = max(1, statistics.total.records)
        // A histogram: each row's bar after its figures, in an untitled column.
        let histogram = grouping.bucketMilliseconds != nil
        var table = Table(
            [
                (name, .left), ("RECORDS", .right), ("SHARE", .right), ("BYTES", .right), ("TOMBSTONES", .right),
                ("LATEST", .right),
            ] + (histogram ? [("", .left)] : []))
        let rows = self.rows
        let most = max(1, rows.map(\.1.records).max() ?? 1)
        for (key, tally) in rows {
            let bar = String(repeating: "#", count: max(1, tally.records * 30 / most))
            table.append(
                [
                    Self.label(key), String(tally.records),
                    decimal(100 * Double(tally.records) / Double(total), places: 1) + "%",
                    String(tally.payloadBytes), String(tally.tombstones), String(tally.latestOffset),
                ] + (histogram ? [bar] : []))
        }
        return table.text
    }

    var json: JSON {
        let s = statistics
        let summary = s.summary
        let groupName =
            switch grouping {
            case .key: "keys"
            case .header: "header_values"
            case .minute, .hour: "histogram"
            }
        return .object([
            ("path", .string(path)),
            ("start_offset", .integer(summary.offsets.lowerBound)),
            ("end_offset", .integer(summary.offsets.upperBound)),
            ("records", .integer(s.total.records)),
            ("batches", .integer(summary.batches)),
            ("stored_bytes", .integer(summary.storedBytes)),
            ("uncompressed_bytes", .integer(summary.decodedBytes)),
            ("payload_bytes", .integer(s.total.payloadBytes)),
            ("tombstones", .integer(s.total.tombstones)),
            ("records_without_key", .integer(s.recordsWithoutKey)),
            ("distinct_keys", .integer(s.distinctKeys)),
            ("keys_ending_in_tombstone", .integer(s.keysEndingInTombstone)),
            ("compaction_keeps", .integer(s.compactionKeeps)),
            ("min_timestamp", s.total.records > 0 ? .integer(s.total.minTimestamp) : .null),
            ("max_timestamp", s.total.records > 0 ? .integer(s.total.maxTimestamp) : .null),
            ("seconds", .number(decimal(s.seconds, places: 6))),
            ("workers", .integer(s.workers)),
            ("by", .string(grouping.name)),
            (
                groupName,
                .array(
                    rows.map { key, tally in
                        .object([
                            (grouping.bucketMilliseconds != nil ? "time" : "value", Self.jsonValue(key)),
                            ("records", .integer(tally.records)),
                            ("payload_bytes", .integer(tally.payloadBytes)),
                            ("tombstones", .integer(tally.tombstones)),
                            ("latest_offset", .integer(tally.latestOffset)),
                        ])
                    })
            ),
        ])
    }

    private static func bucket(_ key: StatsKey) -> Int64 {
        if case .time(let start) = key { return start }
        return 0
    }

    /// A key or header value as text: its UTF-8, "(no key)", "(null)",
    /// "(no header)", or a time bucket's start.
    static func label(_ key: StatsKey) -> String {
        switch key {
        case .key(let key): key.map { String(decoding: $0.bytes, as: UTF8.self) } ?? "(no key)"
        case .header(.none): "(no header)"
        case .header(.some(.none)): "(null)"
        case .header(.some(.some(let value))): String(decoding: value.bytes, as: UTF8.self)
        case .time(let start): TimeText.iso8601(start)
        }
    }

    private static func jsonValue(_ key: StatsKey) -> JSON {
        switch key {
        case .key(nil), .header(nil), .header(.some(nil)): .null
        default: .string(label(key))
        }
    }
}
