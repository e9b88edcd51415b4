// SPDX-License-Identifier: Apache-2.0
// Damage in the middle of a log: a bad batch in a closed segment, random
// bit flips, zeroed ranges, damaged offsets. Open still works; a cursor gets
// `corrupt` naming the file and byte position and can seek past it; nothing
// wrong is ever returned. verify lists each problem with its file and byte
// position; recover quarantines the damage and keeps every intact batch.
import CEventLogHeader
import EventLog
import EventLogCABI
import EventLogFormat
import Foundation
import Testing

@Suite struct DamageTests {
    @Test func corruptBatchInAClosedSegment() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try Sample.writeLog(path, count: 4000)
        let segments = Surgery.segments(path)
        #expect(segments.count >= 5)
        let damagedSegment = segments[1]
        let batches = Surgery.batches(damagedSegment)
        let damaged = batches[batches.count / 2]
        Surgery.flipBit(damagedSegment, byte: damaged.position + 70, bit: 4)

        let log = try EventLog(path: path, options: Sample.options())
        #expect(log.endOffset == 4000)
        let cursor = try log.cursor(from: 0)
        var read: [UInt64] = []
        var thrown: EventLogError?
        do throws(EventLogError) {
            while let record = try cursor.next() {
                #expect(record == Sample.record(record.offset))
                read.append(record.offset)
            }
        } catch { thrown = error }
        #expect(read == Array(0..<damaged.baseOffset))
        #expect(thrown?.code == .corrupt)
        let name = (damagedSegment as NSString).lastPathComponent
        #expect(thrown?.message.hasPrefix(damagedSegment + ":") == true && thrown?.message.contains(name) == true)
        #expect(thrown?.message.contains("at byte \(damaged.position + 17)") == true, "\(thrown?.message ?? "")")
        // Reading again reports the same damage; seeking past it works.
        #expect(throws: EventLogError.self) { try cursor.next() }
        try cursor.seek(to: .offset(damaged.lastOffset + 1))
        #expect(try cursor.next() == Sample.record(damaged.lastOffset + 1))

        let outcome = try Reader.readAll(log)
        let missing = Set(0..<4000).subtracting(outcome.offsets)
        #expect(missing == Set(damaged.baseOffset...damaged.lastOffset))
        #expect(outcome.wrong.isEmpty && outcome.errors.count == 1)
        // Appends go on beside the damage.
        try Sample.append(4000..<4010, to: log)
        try log.close()

        let report = try EventLog.verify(at: path)
        #expect(!report.isSound && report.corruptBatches == 1 && report.problems.count == 1)
        #expect(report.problems.first?.file == damagedSegment)
        #expect(report.problems.first?.position == UInt64(damaged.position + 17))
        #expect(report.records == 4010 - UInt64(damaged.recordCount))
        #expect(report.segments == UInt64(Surgery.segments(path).count))

        var cReport = eventlog_verify_report()
        cReport.version = UInt32(EVENTLOG_VERIFY_REPORT_VERSION)
        #expect(eventlog_verify(path, &cReport) == EVENTLOG_ECORRUPT)
        #expect(cReport.corrupt_batches == 1 && cReport.records == report.records)
        #expect(String(cString: eventlog_errmsg()).contains(name))

        // Recover quarantines the damaged batch; every other record stays.
        let recovered = try EventLog.recover(at: path)
        #expect(recovered.recordsDropped == UInt64(damaged.recordCount))
        #expect(recovered.segmentsDeleted == 0)
        #expect(recovered.nextOffset == 4010 && recovered.problems.count == 1)
        let after = try EventLog.verify(at: path)
        #expect(after.isSound && after.records == 4010 - UInt64(damaged.recordCount), "\(after.problems)")
        #expect(eventlog_verify(path, &cReport) == EVENTLOG_OK)
        let reopened = try EventLog(path: path, options: Sample.options())
        #expect(reopened.endOffset == 4010)
        try Sample.append(4010..<4110, to: reopened)
        let final = try Reader.readAll(reopened)
        #expect(final.offsets == Array(0..<4110).filter { !(damaged.baseOffset...damaged.lastOffset).contains($0) })
        #expect(final.wrong.isEmpty && final.errors.isEmpty)
        try reopened.close()
        #expect(try EventLog.verify(at: path).isSound)
    }

    /// A batch whose codec this library cannot read (zstd), with a valid
    /// CRC: the cursor and the parallel scan both stop there with an error
    /// that names the byte of the batch's attributes.
    @Test func unsupportedCodecIsNamedAtItsAttributes() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let batch = try Surgery.damageSecondBatch(ofLogAt: path) { bytes, batch in
            let attributes = batch.position + RecordBatchHeader.attributesOffset
            bytes[attributes + 1] = bytes[attributes + 1] & ~7 | 4
            bytes[batch.position..<batch.position + batch.size].withUnsafeMutableBytes { RecordBatch.updateCRC($0) }
        }
        let attributes = batch.position + RecordBatchHeader.attributesOffset

        let log = try EventLog(path: path, options: Sample.options())
        defer { try? log.close() }
        let expected = "compression codec 4 is not supported at byte \(attributes)"
        let cursor = try log.cursor(from: 0)
        var read = 0
        let cursorError = errorMessage { () throws(EventLogError) in
            while try cursor.next() != nil { read += 1 }
        }
        #expect(UInt64(read) == batch.baseOffset)
        #expect(cursorError?.contains(expected) == true, "\(cursorError ?? "no error")")
        let scanError = errorMessage { () throws(EventLogError) in
            _ = try log.scan(from: 0, to: UInt64.max, threads: 1) { _, _, _ in 0 }
        }
        #expect(scanError?.contains(expected) == true, "\(scanError ?? "no error")")
    }

    /// A batch whose LZ4 frame is damaged, so that decompressing it fails
    /// and its CRC no longer matches: the cursor and the parallel scan both
    /// report the CRC mismatch at the batch, though the scan checks the CRC
    /// after decoding.
    @Test func damagedFrameIsReportedAsItsCRCMismatch() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let batch = try Surgery.damageSecondBatch(ofLogAt: path) { bytes, batch in
            // The third byte of the frame's first block size (after the
            // 7-byte frame header): the block now runs megabytes past the frame.
            bytes[batch.position + RecordBatchHeader.size + 7 + 2] = 0x7f
        }

        let log = try EventLog(path: path, options: Sample.options())
        defer { try? log.close() }
        let expected = "CRC mismatch: stored "
        let place = "at byte \(batch.position + RecordBatchHeader.crcOffset)"
        let cursor = try log.cursor(from: 0)
        let cursorError = errorMessage { () throws(EventLogError) in
            while try cursor.next() != nil {}
        }
        for threads in [1, 2] {
            let scanError = errorMessage { () throws(EventLogError) in
                _ = try log.scan(from: 0, to: UInt64.max, threads: threads) { _, _, _ in 0 }
            }
            for message in [cursorError, scanError] {
                #expect(
                    message?.contains(expected) == true && message?.contains(place) == true, "\(message ?? "no error")")
            }
        }
    }

    /// A baseOffset damaged outside the CRC (below the batch before, as far
    /// back as Int64 goes, or into the next batch's offsets): inspection,
    /// batch listing, compaction and the scan name the file and the byte,
    /// as the cursor does, instead of trapping on the offsets' arithmetic.
    @Test func misplacedBaseOffsetIsNamedByEveryWalk() throws {
        let dir = TemporaryDirectory()
        for (round, damaged) in [Int64(-1), .min, 0].enumerated() {
            let path = dir.child("log\(round)")
            try Sample.writeLog(path, count: 1500)
            let segment = Surgery.segments(path)[0]
            #expect(Surgery.segments(path).count > 1)
            let batches = Surgery.batches(segment)
            let batch = batches[1]
            // 0: the offsets of the batch after it, so the two overlap.
            let base = damaged == 0 ? Int64(batches[2].baseOffset) : damaged
            var bytes = Surgery.bytes(segment)
            bytes.withUnsafeMutableBytes { BigEndian.store(base, to: $0.baseAddress!, at: batch.position) }
            Surgery.write(segment, bytes)

            let expected = "\(segment): batch offsets \(base)..."
            let place = "at byte \(batch.position)"
            for (walk, message) in [
                ("inspect", errorMessage { () throws(EventLogError) in try EventLog.inspect(at: path) }),
                ("batches", errorMessage { () throws(EventLogError) in try EventLog.forEachBatch(at: path) { _ in } }),
                ("compact", errorMessage { () throws(EventLogError) in try EventLog.compact(at: path) }),
            ] {
                #expect(
                    message?.contains(expected) == true && message?.hasSuffix(place) == true,
                    "\(walk): \(message ?? "no error")")
            }
            let log = try EventLog(path: path, options: Sample.options())
            let scanError = errorMessage { () throws(EventLogError) in
                _ = try log.scan(from: 0, to: UInt64.max, threads: 2) { _, _, _ in 0 }
            }
            #expect(
                scanError?.contains(expected) == true && scanError?.contains(place) == true,
                "\(scanError ?? "no error")")
            try log.close()
        }
    }

    /// Random bits flipped anywhere in the segments and indexes: reads
    /// never return a record that differs from what was written, open
    /// always works, verify and recover never crash, and after recover the
    /// log verifies sound and reads without errors.
    @Test func randomBitFlipsNeverYieldWrongRecords() throws {
        let dir = TemporaryDirectory()
        let pristine = dir.child("pristine")
        try Sample.writeLog(pristine, count: 1500)
        var generator = SeededGenerator(seed: 2024)
        let work = dir.child("work")
        var detected = 0
        for round in 0..<120 {
            try Surgery.copyDirectory(pristine, to: work)
            let files = Surgery.files(work, suffix: ".log") + Surgery.files(work, suffix: "index")
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let file =
                    round % 4 == 3
                    ? files.randomElement(using: &generator)! : Surgery.segments(work).randomElement(using: &generator)!
                let size = Surgery.bytes(file).count
                guard size > 0 else { continue }
                Surgery.flipBit(file, byte: Int(generator.next() % UInt64(size)), bit: Int(generator.next() % 8))
            }
            let report = try EventLog.verify(at: work)
            if !report.isSound { detected += 1 }
            let readOnly = try Reader.readAll(path: work, readOnly: true)
            #expect(readOnly.wrong.isEmpty, "round \(round): wrong records \(readOnly.wrong.prefix(5))")
            #expect(readOnly.errors.allSatisfy { $0.code == .corrupt }, "round \(round): \(readOnly.errors)")
            let writable = try Reader.readAll(path: work, readOnly: false)
            #expect(writable.wrong.isEmpty, "round \(round): wrong records \(writable.wrong.prefix(5))")
            if report.isSound {
                #expect(readOnly.errors.isEmpty && readOnly.offsets == Array(0..<1500), "round \(round)")
            }
            _ = try EventLog.recover(at: work)
            let repaired = try EventLog.verify(at: work)
            #expect(repaired.isSound, "round \(round): \(repaired.problems)")
            let after = try Reader.readAll(path: work, readOnly: false)
            #expect(after.wrong.isEmpty && after.errors.isEmpty, "round \(round): \(after.errors)")
            // Damage becomes a gap: offsets need not be contiguous.
            #expect(after.offsets.allSatisfy { $0 < 1500 }, "round \(round)")
        }
        #expect(detected > 60)
    }

    @Test func zeroedRangesInTheMiddle() throws {
        let dir = TemporaryDirectory()
        let pristine = dir.child("pristine")
        try Sample.writeLog(pristine, count: 3000)
        var generator = SeededGenerator(seed: 7)
        let work = dir.child("work")
        for round in 0..<30 {
            try Surgery.copyDirectory(pristine, to: work)
            let segments = Surgery.segments(work)
            let file = segments[Int(generator.next() % UInt64(segments.count - 1))]
            let size = Surgery.bytes(file).count
            let start = Int(generator.next() % UInt64(size))
            let length = 1 + Int(generator.next() % 3000)
            Surgery.zero(file, start..<min(size, start + length))
            let outcome = try Reader.readAll(path: work, readOnly: false)
            #expect(outcome.wrong.isEmpty, "round \(round)")
            #expect(!outcome.errors.isEmpty && outcome.errors.count <= 3, "round \(round): \(outcome.errors)")
            // Everything outside the zeroed batches is still read.
            #expect(outcome.offsets.count > 3000 - 200, "round \(round): read \(outcome.offsets.count)")
            let report = try EventLog.verify(at: work)
            #expect(
                !report.isSound && report.problems.allSatisfy { $0.file == file }, "round \(round): \(report.problems)")
        }
    }

    /// baseOffset lies outside the CRC. Damage there, up or down, in any
    /// batch, must give `corrupt`, never records with wrong offsets.
    @Test func damagedBaseOffsetsAreCaught() throws {
        let dir = TemporaryDirectory()
        let pristine = dir.child("pristine")
        try Sample.writeLog(pristine, count: 1000)
        let work = dir.child("work")
        let segments = Surgery.segments(pristine)
        var cases = 0
        for segment in [0, segments.count - 1] {
            let name = (segments[segment] as NSString).lastPathComponent
            let batches = Surgery.batches(segments[segment])
            for batch in [batches.first!, batches[batches.count / 2], batches.last!] {
                for (byte, bit) in [(7, 0), (7, 1), (7, 5), (6, 2), (4, 0), (0, 6)] {
                    try Surgery.copyDirectory(pristine, to: work)
                    Surgery.flipBit(work + "/" + name, byte: batch.position + byte, bit: bit)
                    let readOnly = try Reader.readAll(path: work, readOnly: true)
                    #expect(readOnly.wrong.isEmpty, "\(name) batch at \(batch.position) byte \(byte) bit \(bit)")
                    let report = try EventLog.verify(at: work)
                    #expect(!report.isSound, "\(name) batch at \(batch.position) byte \(byte) bit \(bit)")
                    let writable = try Reader.readAll(path: work, readOnly: false)
                    #expect(writable.wrong.isEmpty, "\(name) batch at \(batch.position) byte \(byte) bit \(bit)")
                    cases += 1
                }
            }
        }
        #expect(cases == 36)
    }

    @Test func seekPastDamageNamedInTheMessage() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try Sample.writeLog(path, count: 3000)
        let segment = Surgery.segments(path)[2]
        let batches = Surgery.batches(segment)
        // Zero two whole batches and the header of a third: no length to skip by.
        let first = batches[4]
        let third = batches[6]
        Surgery.zero(segment, first.position..<third.position + 30)
        let log = try EventLog(path: path, options: Sample.options(segmentBytes: 64 << 10))
        let cursor = try log.cursor(from: .offset(first.baseOffset))
        var thrown: EventLogError?
        do throws(EventLogError) { _ = try cursor.next() } catch { thrown = error }
        #expect(thrown?.code == .corrupt)
        let resume = thrown.flatMap { Reader.resumeOffset(in: $0.message) }
        #expect(resume == batches[7].baseOffset, "\(thrown?.message ?? "")")
        // Seeking to any offset inside the damage reports it again ...
        try cursor.seek(to: .offset(first.baseOffset + 3))
        #expect(throws: EventLogError.self) { try cursor.next() }
        // ... and to the offset named reads on.
        try cursor.seek(to: .offset(resume ?? 0))
        #expect(try cursor.next() == Sample.record(batches[7].baseOffset))
        // Time seeks past the damage work too.
        try cursor.seek(to: .time(sinceEpoch: .milliseconds(Sample.baseTimestamp + Int64(batches[8].baseOffset))))
        #expect(try cursor.next()?.offset == batches[8].baseOffset)
        try log.close()
    }

    @Test func verifyBesideARunningWriter() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options(segmentBytes: 256 << 10))
        var next: UInt64 = 0
        for round in 0..<40 {
            try Sample.append(next..<next + 150, to: log, flushEvery: 30)
            next += 150
            let report = try EventLog.verify(at: path)
            #expect(report.isSound, "round \(round): \(report.problems)")
            #expect(report.records == next)
        }
        #expect(throws: EventLogError.self) { try EventLog.recover(at: path) }
        #expect(errorCode { () throws(EventLogError) in try EventLog.recover(at: path) } == .busy)
        try log.close()
        #expect(try EventLog.recover(at: path).recordsDropped == 0)
    }

    @Test func verifyReportsIndexDamageAndRecoverRebuildsIt() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try Sample.writeLog(path, count: 3000)
        let index = Surgery.files(path, suffix: ".index")[1]
        let original = Surgery.bytes(index)
        #expect(original.count >= 24)
        Surgery.flipBit(index, byte: 8 + 7, bit: 3)  // the position of entry 1
        let timeIndex = Surgery.files(path, suffix: ".timeindex")[2]
        Surgery.flipBit(timeIndex, byte: 12 + 7, bit: 0)  // the timestamp of entry 1
        let report = try EventLog.verify(at: path)
        #expect(report.problems.map(\.file) == [index, timeIndex], "\(report.problems)")
        #expect(report.problems.map(\.position) == [8, 12])
        #expect(report.corruptBatches == 0 && report.records == 3000)
        let outcome = try Reader.readAll(path: path, readOnly: true)
        #expect(outcome.offsets == Array(0..<3000) && outcome.errors.isEmpty)
        let recovered = try EventLog.recover(at: path)
        #expect(recovered.recordsDropped == 0 && recovered.indexesRebuilt == 2 && recovered.segmentsDeleted == 0)
        #expect(Surgery.bytes(index) == original)
        #expect(try EventLog.verify(at: path).isSound)
    }

    @Test func tornTailIsCountedButSound() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options())
        try Sample.append(0..<1000, to: log)
        let crashed = dir.child("crashed")
        try Surgery.crashSnapshot(of: log, at: path, to: crashed)
        try log.close()
        let report = try EventLog.verify(at: crashed)
        #expect(report.isSound && report.truncatedBytes > 0 && report.records == 1000)
        try FileManager.default.removeItem(atPath: crashed + "/eventlog.head")
        let withoutHead = try EventLog.verify(at: crashed)
        #expect(withoutHead.isSound && withoutHead.truncatedBytes == report.truncatedBytes, "\(withoutHead.problems)")
        let recovered = try EventLog.recover(at: crashed)
        #expect(recovered.recordsDropped == 0 && recovered.bytesTruncated == UInt64(report.truncatedBytes))
        let after = try EventLog.verify(at: crashed)
        #expect(after.isSound && after.truncatedBytes == 0 && after.records == 1000)
        // A closed segment with a torn tail is a problem: closed segments are
        // trimmed and synced before the next one starts.
        let closed = Surgery.segments(crashed)[0]
        Surgery.truncate(closed, to: Surgery.bytes(closed).count - 10)
        let torn = try EventLog.verify(at: crashed)
        #expect(!torn.isSound && torn.problems.first?.file == closed && torn.truncatedBytes > 0)
    }

    @Test func damagedCursorFileIsReported() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options())
        try Sample.append(0..<10, to: log)
        let cursor = try log.cursor(named: "reader")
        _ = try cursor.next()
        try cursor.commit()
        try log.close()
        Surgery.flipBit(path + "/cursors/reader", byte: 9, bit: 1)
        let report = try EventLog.verify(at: path)
        #expect(report.problems.map(\.file) == [path + "/cursors/reader"])
        #expect(throws: EventLogError.self) { try EventLog(path: path).cursor(named: "reader") }

        // A negative next offset under a valid checksum (no cursor commits
        // one): named as corrupt when opened, listed or verified.
        var bytes = Surgery.bytes(path + "/cursors/reader")
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: Int64(-1), toByteOffset: 8, as: Int64.self)
            $0.storeBytes(
                of: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<24])), toByteOffset: 24, as: UInt32.self)
        }
        Surgery.write(path + "/cursors/reader", bytes)
        let log2 = try EventLog(path: path)
        let opened = errorMessage { () throws(EventLogError) in try log2.cursor(named: "reader") }
        #expect(opened?.hasSuffix("cursors/reader: next offset -1 is negative") == true, "\(opened ?? "no error")")
        #expect(errorCode { () throws(EventLogError) in try EventLog.namedCursors(at: path) } == .corrupt)
        #expect(try EventLog.verify(at: path).problems.map(\.detail) == ["next offset -1 is negative"])
        try log2.close()
    }

    @Test func verifyArguments() throws {
        let dir = TemporaryDirectory()
        #expect(throws: EventLogError.self) { try EventLog.verify(at: dir.child("missing")) }
        #expect(errorCode { () throws(EventLogError) in try EventLog.verify(at: dir.child("missing")) } == .notFound)
        #expect(errorCode { () throws(EventLogError) in try EventLog.recover(at: dir.child("missing")) } == .notFound)
        _ = FileManager.default.createFile(atPath: dir.child("file"), contents: Data([1]))
        #expect(
            errorCode { () throws(EventLogError) in try EventLog.verify(at: dir.child("file")) } == .invalidArgument)
        #expect(errorCode { () throws(EventLogError) in try EventLog.verify(at: "") } == .invalidArgument)
        #expect(
            errorCode { () throws(EventLogError) in try EventLog.verify(at: dir.path + "\0/x") } == .invalidArgument)
        // A directory with no log in it is not a sound log (it was "ok").
        #expect(errorCode { () throws(EventLogError) in try EventLog.verify(at: dir.path) } == .notFound)
        #expect(errorCode { () throws(EventLogError) in try EventLog.verify(at: "/") } == .notFound)
        var report = eventlog_verify_report(
            version: UInt32(EVENTLOG_VERIFY_REPORT_VERSION), segments: 9, batches: 9, records: 9, corrupt_batches: 9,
            truncated_bytes: 9)
        #expect(eventlog_verify(nil, &report) == EVENTLOG_EINVAL && report.segments == 0)
        #expect(String(cString: eventlog_errmsg()).contains("dir"))
    }
}
