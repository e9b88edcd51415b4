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

    /// A log of `segments` segments of one record each (records of 3,000
    /// random bytes, which LZ4 cannot shrink, in 4 KiB segments).
    private static func logOfManySegments(_ segments: Int, in dir: TemporaryDirectory) throws -> String {
        let path = dir.child("log")
        var options = EventLogOptions()
        options.segmentBytes = 4096
        let log = try EventLog(path: path, options: options)
        var generator = SeededGenerator(seed: 600)
        for _ in 0..<segments {
            try log.append(key: nil, value: generator.bytes(3000))
            try log.flush()
        }
        try log.close()
        return path
    }

    @Test func aReplayKeepsFewSegmentsMapped() throws {
        let dir = TemporaryDirectory()
        let path = try Self.logOfManySegments(600, in: dir)
        let log = try EventLog(
            path: path,
            options: {
                var o = EventLogOptions(); o.readOnly = true; return o
            }())
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
}
