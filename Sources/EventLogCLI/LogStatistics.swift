// SPDX-License-Identifier: Apache-2.0
// The figures of `eventlog stats`, gathered by one MapReduce job over the
// log: every record is tallied under its key (for the hottest keys and
// what compaction would keep) and, when the table groups by a header or by
// time, under its group too. Tallies fold on the map side, so memory grows
// with the distinct keys and groups, not with the records.
import ArgumentParser
internal import EventLog
internal import EventLogJobs
internal import EventLogStorage

/// What the statistics are grouped by.
enum StatsGrouping: Equatable {
    case key
    case minute
    case hour
    case header(String)

    /// Parses --by; throws a usage error for anything else.
    init(parsing text: String) throws {
        if let grouping = [Self.key, .minute, .hour].first(where: { $0.name == text }) {
            self = grouping
        } else if text.hasPrefix("header:"), text.count > "header:".count {
            self = .header(String(text.dropFirst("header:".count)))
        } else {
            throw ValidationError("expected key, minute, hour or header:NAME")
        }
    }

    /// The name --by takes.
    var name: String {
        switch self {
        case .key: "key"
        case .minute: "minute"
        case .hour: "hour"
        case .header(let name): "header:\(name)"
        }
    }

    /// Milliseconds per bucket of a histogram over time, or nil.
    var bucketMilliseconds: Int64? {
        switch self {
        case .minute: 60_000
        case .hour: 3_600_000
        default: nil
        }
    }
}

/// Where a record is tallied.
enum StatsKey: Hashable, Sendable {
    /// A record key; nil for records without one.
    case key(Bytes?)
    /// A header's value: .some(nil) a null value, nil no such header.
    case header(Bytes??)
    /// The start of a time bucket, ms since the epoch.
    case time(Int64)
}

/// Bytes as a dictionary key, hashed in one call: [UInt8] hashes byte by
/// byte, which was the largest cost of a job keyed by record keys.
struct Bytes: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ buffer: UnsafeRawBufferPointer) { bytes = Array(buffer) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

struct Tally: Sendable, Equatable {
    var records = 0
    var payloadBytes = 0
    var tombstones = 0
    var latestOffset: UInt64 = 0
    var latestIsTombstone = false
    var minTimestamp = Int64.max
    var maxTimestamp = Int64.min

    /// Adds the tally of records that come later in the log.
    mutating func add(later: Tally) {
        guard later.records > 0 else { return }
        records += later.records
        payloadBytes += later.payloadBytes
        tombstones += later.tombstones
        latestOffset = later.latestOffset
        latestIsTombstone = later.latestIsTombstone
        minTimestamp = min(minTimestamp, later.minTimestamp)
        maxTimestamp = max(maxTimestamp, later.maxTimestamp)
    }
}

extension Tally {
    /// The tally of one record.
    init(_ record: JobRecord) {
        self.init(
            records: 1, payloadBytes: record.payloadBytes, tombstones: record.isTombstone ? 1 : 0,
            latestOffset: record.offset, latestIsTombstone: record.isTombstone, minTimestamp: record.timestamp,
            maxTimestamp: record.timestamp)
    }
}

struct LogStatistics: Sendable {
    var summary: JobSummary
    /// Over every record.
    var total = Tally()
    /// Records without a key.
    var recordsWithoutKey = 0
    var distinctKeys = 0
    /// Keys whose latest record is a tombstone.
    var keysEndingInTombstone = 0
    /// The grouping's tallies: the keys, header values or time buckets.
    var groups: [(StatsKey, Tally)] = []
    var seconds = 0.0
    var workers = 0

    /// What compaction keeps of these records if every segment were
    /// closed: the latest record of each key (tombstones too, until their
    /// delete retention passes) and every record without a key.
    var compactionKeeps: Int { distinctKeys + recordsWithoutKey }

    static func gather(
        _ log: EventLog, range: JobRange, grouping: StatsGrouping, options: JobOptions
    ) async throws -> LogStatistics {
        let started = monotonicNanoseconds()
        let result = try await log.aggregate(range, options: options, initial: Tally()) {
            (record: JobRecord, emit: Emitter<StatsKey, Tally>) in
            let facts = Tally(record)
            emit.emit(.key(record.key.map(Bytes.init)), facts)
            switch grouping {
            case .key: break
            case .header(let name):
                emit.emit(.header(record.header(name).map { $0.map(Bytes.init) }), facts)
            case .minute, .hour:
                emit.emit(.time(bucketStart(record.timestamp, width: grouping.bucketMilliseconds!)), facts)
            }
        } fold: { tally, facts in
            tally.add(later: facts)
        } merge: { tally, later in
            tally.add(later: later)
        }
        var statistics = LogStatistics(summary: result.summary)
        statistics.seconds = Double(monotonicNanoseconds() - started) / 1e9
        statistics.workers = options.workers
        for (key, tally) in result.results {
            guard case .key(let bytes) = key else {
                statistics.groups.append((key, tally))
                continue
            }
            statistics.total.add(later: tally)
            if bytes == nil {
                statistics.recordsWithoutKey = tally.records
            } else {
                statistics.distinctKeys += 1
                if tally.latestIsTombstone { statistics.keysEndingInTombstone += 1 }
            }
            if grouping == .key { statistics.groups.append((key, tally)) }
        }
        return statistics
    }
}

/// The start of the bucket of `width` milliseconds that holds `timestamp`,
/// rounded down (before 1970 too); the oldest time there is for a bucket
/// that would start before it (a hostile batch's timestamps can be any).
func bucketStart(_ timestamp: Int64, width: Int64) -> Int64 {
    let remainder = timestamp % width
    guard remainder < 0 else { return timestamp - remainder }
    let (start, overflow) = timestamp.subtractingReportingOverflow(remainder + width)
    return overflow ? .min : start
}
