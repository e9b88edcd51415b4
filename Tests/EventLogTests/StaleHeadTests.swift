// SPDX-License-Identifier: Apache-2.0
// A head file that claims more than the segment holds (the data was cut or
// zeroed after the writer published it): a read-only handle reports and
// reads what is there, and follows the writer again once one recovers.
import EventLog
import Foundation
import Testing

@Suite struct StaleHeadTests {
    /// A log of 10 batches of 10 records, closed; returns the active
    /// segment's path and where its last batch starts.
    private static func makeLog(_ path: String) throws -> (segment: String, lastBatch: Int) {
        // Batches only at each flush: with the 1 ms default linger, a busy
        // machine's flusher could write some of the ten records early, and
        // the last batch would hold fewer than ten.
        var options = EventLogOptions()
        options.linger = .microseconds(60_000_000)
        let log = try EventLog(path: path, options: options)
        for batch in 0..<10 {
            for i in 0..<10 { try log.append(key: nil, value: Array("event-\(batch * 10 + i)".utf8)) }
            try log.flush()
        }
        try log.close()
        // Closed, the file ends at its data; each batch starts with its base
        // offset (8 bytes) and length (4, big-endian) of what follows.
        let segment = path + "/00000000000000000000.log"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
        var position = 0
        var last = 0
        while position + 12 <= bytes.count {
            last = position
            position += 12 + bytes[position + 8..<position + 12].reduce(0) { $0 << 8 | Int($1) }
        }
        return (segment, last)
    }

    private static var readOnly: EventLogOptions {
        var options = EventLogOptions()
        options.readOnly = true
        return options
    }

    private static func readAll(_ log: EventLog) throws -> [UInt64] {
        let cursor = try log.cursor(from: .oldest)
        var offsets: [UInt64] = []
        while let record = try cursor.next() { offsets.append(record.offset) }
        return offsets
    }

    @Test(arguments: ["truncated", "zeroed"])
    func aReaderServesWhatTheSegmentHolds(damage: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let (segment, lastBatch) = try Self.makeLog(path)
        let opened = Foundation.FileHandle(forUpdatingAtPath: segment)
        let handle = try #require(opened)
        if damage == "truncated" {
            try handle.truncate(atOffset: UInt64(lastBatch + 20))
        } else {
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: UInt64(lastBatch))
            handle.write(Data(count: Int(size) - lastBatch))
        }
        try handle.close()

        let reader = try EventLog(path: path, options: Self.readOnly)
        #expect(reader.endOffset == 90)
        #expect(try Self.readAll(reader) == Array(0..<90))

        // A writer recovers (cuts the torn batch) and appends: the reader
        // follows it from its first publish on.
        let writer = try EventLog(path: path)
        #expect(writer.endOffset == 90)
        try writer.append(key: nil, value: Array("after".utf8))
        try writer.flush()
        #expect(reader.endOffset == 91)
        #expect(try Self.readAll(reader) == Array(0..<91))
        try writer.close()
    }
}
