// SPDX-License-Identifier: Apache-2.0
// Batch headers set to extreme values, the CRC made valid again where it
// covers them: what a damaged disk, another producer or a hostile file can
// hand the library. Every walk over the log (inspection, batch listing,
// verify, compaction, the parallel scan, cursors on read-only and writable
// handles) returns or fails with an error naming the damage; none traps on
// the values' arithmetic. The same for the head file's published state.
import EventLog
import EventLogFormat
import Testing

@Suite struct HostileHeaderTests {
    /// Header fields by their offset and width in bytes; baseOffset and
    /// batchLength lie outside the CRC.
    private static let fields: [(offset: Int, bytes: Int)] = [
        (RecordBatchHeader.baseOffsetOffset, 8), (RecordBatchHeader.batchLengthOffset, 4),
        (RecordBatchHeader.partitionLeaderEpochOffset, 4), (RecordBatchHeader.attributesOffset, 2),
        (RecordBatchHeader.lastOffsetDeltaOffset, 4), (RecordBatchHeader.baseTimestampOffset, 8),
        (RecordBatchHeader.maxTimestampOffset, 8), (RecordBatchHeader.producerIdOffset, 8),
        (RecordBatchHeader.baseSequenceOffset, 4), (RecordBatchHeader.recordsCountOffset, 4),
    ]

    private static func extreme(bytes: Int, _ generator: inout SeededGenerator) -> Int64 {
        let bits = bytes * 8
        let choices: [Int64] = [0, -1, 1, Int64.min >> (64 - bits), Int64.max >> (64 - bits)]
        let pick = Int(generator.next() % 6)
        return pick < choices.count ? choices[pick] : Int64(bitPattern: generator.next()) >> (64 - bits)
    }

    @Test func extremeHeaderFieldsNeverTrap() throws {
        let dir = TemporaryDirectory()
        let pristine = dir.child("pristine")
        try Sample.writeLog(pristine, count: 1500)
        var generator = SeededGenerator(seed: 77)
        let work = dir.child("work")
        var failures = 0
        for round in 0..<60 {
            try Surgery.copyDirectory(pristine, to: work)
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let segment = Surgery.segments(work).randomElement(using: &generator)!
                let batch = Surgery.batches(segment).randomElement(using: &generator)!
                let field = Self.fields.randomElement(using: &generator)!
                let value = Self.extreme(bytes: field.bytes, &generator)
                var bytes = Surgery.bytes(segment)
                for i in 0..<field.bytes {
                    bytes[batch.position + field.offset + i] = UInt8(
                        truncatingIfNeeded: value >> (8 * (field.bytes - 1 - i)))
                }
                bytes[batch.position..<batch.position + batch.size].withUnsafeMutableBytes {
                    RecordBatch.updateCRC($0)
                }
                Surgery.write(segment, bytes)
            }
            var compact = CompactOptions()
            compact.dryRun = true
            var errors: [(String, EventLogError?)] = [
                ("inspect", thrownError { () throws(EventLogError) in try EventLog.inspect(at: work) }),
                ("batches", thrownError { () throws(EventLogError) in try EventLog.forEachBatch(at: work) { _ in } }),
                ("verify", thrownError { () throws(EventLogError) in try EventLog.verify(at: work) }),
                (
                    "compact",
                    thrownError { () throws(EventLogError) in try EventLog.compact(at: work, options: compact) }
                ),
            ]
            let log = try EventLog(path: work, options: Sample.options())
            errors.append(
                (
                    "scan",
                    thrownError { () throws(EventLogError) in
                        _ = try log.scan(from: 0, to: UInt64.max, threads: 2) { _, _, _ in 0 }
                    }
                ))
            try log.close()
            for readOnly in [true, false] {
                let read = try Reader.readAll(path: work, readOnly: readOnly)
                errors += read.errors.map { ("read", $0) }
            }
            for (walk, error) in errors where error != nil {
                failures += 1
                #expect(error!.code == .corrupt, "round \(round), \(walk): \(error!)")
                #expect(error!.message.contains(work), "round \(round), \(walk): \(error!)")
            }
        }
        // Most rounds damage something a walk notices.
        #expect(failures > 60)
    }

    /// Each field of the head file's published state (both slots) set to
    /// -1, Int64.min or Int64.max: a read-only handle reads no wrong record
    /// and fails, if at all, with a corrupt error; inspection returns or
    /// fails likewise; a writer's open recovers every record from the files.
    @Test func damagedHeadFileNeverTraps() throws {
        let dir = TemporaryDirectory()
        let pristine = dir.child("pristine")
        try Sample.writeLog(pristine, count: 1500)
        let work = dir.child("work")
        for field in stride(from: 0, to: 56, by: 8) {
            for value in [Int64(-1), .min, .max] {
                try Surgery.copyDirectory(pristine, to: work)
                let head = work + "/eventlog.head"
                var bytes = Surgery.bytes(head)
                bytes.withUnsafeMutableBytes { file in
                    for slot in [64, 128] { file.storeBytes(of: value, toByteOffset: slot + field, as: Int64.self) }
                }
                Surgery.write(head, bytes)
                let context = "field \(field) = \(value)"
                let read = try Reader.readAll(path: work, readOnly: true)
                #expect(read.wrong.isEmpty, "\(context): \(read.wrong.prefix(5))")
                #expect(read.errors.allSatisfy { $0.code == .corrupt }, "\(context): \(read.errors)")
                let inspected = thrownError { () throws(EventLogError) in try EventLog.inspect(at: work) }
                #expect(inspected == nil || inspected!.code == .corrupt, "\(context): \(inspected!)")
                let written = try Reader.readAll(path: work, readOnly: false)
                #expect(written.offsets == Array(0..<1500), "\(context): \(written.errors)")
            }
        }
    }
}
