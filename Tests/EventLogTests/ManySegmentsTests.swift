// SPDX-License-Identifier: Apache-2.0
// A log of many segments, read from end to end. Readers of closed segments
// were cached for as long as the set of segments stayed the same, so a
// replay of a log nobody wrote to meanwhile kept every segment it passed
// mapped: `eventlog dump` of a log of 130,000 small segments failed with
// "mmap ... failed: Cannot allocate memory" once the process reached
// vm.max_map_count (65,530 mappings by default), and so did `eventlog info`,
// which mapped every segment before its walk.
import EventLog
import Foundation
import Testing

@Suite struct ManySegmentsTests {
    /// The mappings this process holds now.
    private static func mappingCount() throws -> Int {
        // Read to its end: /proc files have no size, and a read sized by
        // one stops after the first page.
        let data = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd() ?? Data()
        return data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// A log of `segments` segments of one record each (records of 3,000
    /// random bytes, which LZ4 cannot shrink, in 4 KiB segments).
    private static func logOfManySegments(_ segments: Int, in dir: TemporaryDirectory) throws -> String {
        let path = dir.child("log")
        var options = EventLogOptions()
        options.segmentBytes = 4096
        let log = try EventLog(path: path, options: options)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<segments {
            try log.append(key: nil, value: (0..<3000).map { _ in UInt8.random(in: 0...255, using: &generator) })
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
        let before = try Self.mappingCount()
        var read = 0
        var mostMapped = 0
        while let record = try cursor.next() {
            #expect(record.offset == Int64(read))
            read += 1
            if read % 50 == 0 { mostMapped = max(mostMapped, try Self.mappingCount() - before) }
        }
        #expect(read == 600)
        // Each segment passed took a mapping of its own before: 550 or more.
        #expect(mostMapped < 150, "\(mostMapped) more mappings after a replay of 600 segments")
    }
}
