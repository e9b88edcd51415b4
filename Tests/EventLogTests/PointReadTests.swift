// SPDX-License-Identifier: Apache-2.0
// Seeking by offset and reading one record: right at every offset of LZ4
// batches of many blocks, on the first seek into a batch (read in full) and
// on later ones (one block), reading on from there, in frames written Kafka's
// way whose blocks start inside records, and never from a damaged batch.
import EventLog
import EventLogFormat
import Foundation
import Testing

@Suite struct PointReadTests {
    @Test func everyOffsetOfMultiBlockBatchesReadsItsRecord() throws {
        let dir = TemporaryDirectory()
        let records = KafkaInteropTests.sampleRecords(count: 5000)
        let log = try EventLog(path: dir.child("log"))
        try log.append(contentsOf: records)
        try log.flush()
        let cursor = try log.cursor(from: .oldest)
        for pass in 0..<2 {
            for target in stride(from: pass, to: records.count, by: 1 + pass) {
                try cursor.seek(to: .offset(UInt64(target)))
                let read = try cursor.next()
                #expect(read == records[target], "offset \(target), pass \(pass)")
            }
        }
        // Reading on from a point read crosses block and batch ends in order.
        for target in [0, 1, 333, 1234, 2500, 4996] {
            try cursor.seek(to: .offset(UInt64(target)))
            for expected in records[target..<min(target + 600, records.count)] {
                let read = try cursor.next()
                #expect(read == expected, "reading on from \(target)")
                if read != expected { break }
            }
        }
        try log.close()
    }

    /// A Kafka-style frame (64 KiB blocks cut anywhere) whose second block
    /// starts inside a value crafted to hold a record claiming offset 1:
    /// decoding from that block's start would return it.
    @Test func recordsFakedAtABlockStartOfAKafkaFrameAreNeverReturned() throws {
        let fake = try Self.recordsSection(values: [Array("x".utf8), Array("FAKE".utf8)])
        let fakeRecord = Self.recordsAfterTheFirst(fake)
        let marker = Array("value-starts-here".utf8)
        var value = marker + [UInt8](repeating: 0x61, count: 120_000)
        let probe = try Self.recordsSection(values: [value, Array("real-1".utf8), Array("real-2".utf8)])
        let valueStart = Self.index(of: marker, in: probe)!
        let blockStart = 64 << 10
        value.replaceSubrange(
            (blockStart - valueStart)..<(blockStart - valueStart + fakeRecord.count), with: fakeRecord)
        let section = try Self.recordsSection(values: [value, Array("real-1".utf8), Array("real-2".utf8)])
        #expect(Array(section[blockStart..<blockStart + fakeRecord.count]) == fakeRecord)

        let dir = TemporaryDirectory()
        let path = dir.child("kafka")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data(try Self.kafkaStyleBatch(section, count: 3)).write(
            to: URL(fileURLWithPath: path + "/00000000000000000000.log"))
        var options = EventLogOptions()
        options.readOnly = true
        let log = try EventLog(path: path, options: options)
        let cursor = try log.cursor(from: .oldest)
        for _ in 0..<3 {
            for (target, expected) in [(1, "real-1"), (2, "real-2")] {
                try cursor.seek(to: .offset(UInt64(target)))
                let read = try cursor.next()
                #expect(read?.offset == UInt64(target))
                #expect(read?.value == Array(expected.utf8))
            }
        }
    }

    @Test func aDamagedBatchIsNeverReturnedByAPointRead() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = KafkaInteropTests.sampleRecords(count: 3000)
        var log = try EventLog(path: path)
        try log.append(contentsOf: records)
        try log.close()
        let segment = path + "/00000000000000000000.log"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[RecordBatchHeader.size + 40_000] ^= 0x10  // inside the first batch's second block
        try bytes.write(to: URL(fileURLWithPath: segment))
        var options = EventLogOptions()
        options.readOnly = true
        log = try EventLog(path: path, options: options)
        let cursor = try log.cursor(from: .oldest)
        for _ in 0..<3 {
            for target in [1, 700, 1500] {
                try cursor.seek(to: .offset(UInt64(target)))
                #expect(throws: EventLogError.self) { try cursor.next() }
            }
        }
    }

    /// The records section of a batch of records with these values.
    static func recordsSection(values: [[UInt8]]) throws -> [UInt8] {
        let builder = RecordBatchBuilder()
        builder.reset(baseOffset: 0)
        for value in values {
            value.withUnsafeBytes {
                builder.append(timestamp: 1_700_000_000_000, key: nil, value: $0, headers: .init(start: nil, count: 0))
            }
        }
        let output = ByteBuffer(capacity: 64)
        _ = try builder.seal(compression: .none, into: output)
        return output.withUnsafeBytes { Array($0[RecordBatchHeader.size...]) }
    }

    static func recordsAfterTheFirst(_ section: [UInt8]) -> [UInt8] {
        let first = section.withUnsafeBytes { RecordBoundaries.recordEnd($0.baseAddress!, at: 0, limit: $0.count)! }
        return [UInt8](section[first...])
    }

    static func index(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        (0...(haystack.count - needle.count)).first { Array(haystack[$0..<$0 + needle.count]) == needle }
    }

    /// An LZ4 batch of `section` framed as Kafka frames it: 64 KiB blocks.
    static func kafkaStyleBatch(_ section: [UInt8], count: Int32) throws -> [UInt8] {
        let output = ByteBuffer(capacity: 64)
        output.appendZeros(RecordBatchHeader.size)
        _ = try section.withUnsafeBytes { try KafkaLZ4().compress($0, into: output) }
        let header = RecordBatchHeader(
            baseOffset: 0, batchLength: Int32(output.count - RecordBatchHeader.logOverhead),
            attributes: Int16(Compression.lz4.rawValue), lastOffsetDelta: count - 1,
            baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_000, recordsCount: count)
        let batch = UnsafeMutableRawBufferPointer(start: output.baseAddress, count: output.count)
        header.write(to: batch.baseAddress!)
        RecordBatch.updateCRC(batch)
        return output.withUnsafeBytes { Array($0) }
    }
}
