// SPDX-License-Identifier: Apache-2.0
// A log of many segments, read from end to end. Readers of closed segments
// were cached for as long as the set of segments stayed the same, so a
// replay of a log nobody wrote to meanwhile kept every segment it passed
// mapped: `eventlog dump` of a log of 130,000 small segments failed with
// "mmap ... failed: Cannot allocate memory" once the process reached
// vm.max_map_count (65,530 mappings by default), and so did `eventlog info`
// and `eventlog verify`, which mapped every segment before their walks.
import EventLog
import Foundation
import Testing

@Suite struct ManySegmentsTests {
    /// The mappings this process holds now of files in `directory` (other
    /// tests of the process map files of their own meanwhile).
    private static func mappingCount(of directory: String) throws -> Int {
        // Read to its end: /proc files have no size, and a read sized by
        // one stops after the first page.
        let data = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd() ?? Data()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").count { $0.contains(directory + "/") }
    }

    /// A log of `segments` segments of `perSegment` records each (records
    /// of 3,000 random bytes, which LZ4 cannot shrink, each flushed alone,
    /// in segments of 4 KiB a record).
    private static func logOfManySegments(_ segments: Int, perSegment: Int = 1, in dir: TemporaryDirectory) throws
        -> String
    {
        let path = dir.child("log")
        var options = EventLogOptions()
        options.segmentBytes = 4096 * UInt64(perSegment)
        let log = try EventLog(path: path, options: options)
        var generator = SeededGenerator(seed: 600)
        for _ in 0..<segments * perSegment {
            try log.append(key: nil, value: generator.bytes(3000))
            try log.flush()
        }
        try log.close()
        return path
    }

    private static func openReadOnly(_ path: String) throws -> EventLog {
        var options = EventLogOptions()
        options.readOnly = true
        return try EventLog(path: path, options: options)
    }

    @Test func aReplayKeepsFewSegmentsMapped() throws {
        let dir = TemporaryDirectory()
        let path = try Self.logOfManySegments(600, in: dir)
        let log = try Self.openReadOnly(path)
        defer { try? log.close() }
        #expect(try log.inspect().segments.count == 600)
        let cursor = try log.cursor(from: .oldest)
        var read = 0
        var mostMapped = 0
        while let record = try cursor.next() {
            #expect(record.offset == Int64(read))
            read += 1
            if read % 50 == 0 { mostMapped = max(mostMapped, try Self.mappingCount(of: path)) }
        }
        #expect(read == 600)
        // Each segment passed stayed mapped before: 550 or more.
        // At least the segment being read: the count sees the log's files.
        #expect((1..<150).contains(mostMapped), "\(mostMapped) of its files mapped during a replay of 600 segments")
    }

    @Test func verifyKeepsFewSegmentsMapped() throws {
        let dir = TemporaryDirectory()
        let path = try Self.logOfManySegments(600, in: dir)
        var mostMapped = 0
        let report = try EventLog.verify(at: path) { _, _ in
            // Told once every segment was looked at, then after each check.
            mostMapped = max(mostMapped, (try? Self.mappingCount(of: path)) ?? 0)
        }
        #expect(report.problems.isEmpty, "\(report.problems.prefix(3))")
        #expect(report.segments == 600)
        // Each segment stayed mapped until the end of the check before.
        #expect((1..<150).contains(mostMapped), "\(mostMapped) of its files mapped while verifying 600 segments")
    }

    /// A scan keeps every segment of its range mapped from the start (what
    /// it reads is the range as it was then), but only the segment: the
    /// offset indexes it planned with were kept mapped too, two mappings a
    /// segment, so scans and `eventlog stats` failed at half the segments.
    @Test func aScanMapsEachSegmentOnce() throws {
        let dir = TemporaryDirectory()
        // Several batches a segment, so that each has .index entries to plan with.
        let path = try Self.logOfManySegments(500, perSegment: 4, in: dir)
        let log = try Self.openReadOnly(path)
        defer { try? log.close() }
        let segments = try log.inspect().segments.count
        #expect(segments >= 400)
        var mapped: Int?
        var read = 0
        let (code, _) = try log.scan(from: 0, to: UInt64.max, threads: 1) { _, records, _ in
            read += records.count
            if mapped == nil { mapped = try? Self.mappingCount(of: path) }
            return 0
        }
        #expect(code == 0 && read == 2000)
        // Nearly twice as many before: each segment and its .index.
        #expect(
            (segments..<segments + 50).contains(mapped ?? 0),
            "\(mapped ?? 0) of its files mapped during a scan of \(segments) segments")
    }
}
