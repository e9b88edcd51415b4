// SPDX-License-Identifier: Apache-2.0
// Opening after a crash: the files a killed writer leaves (a preallocated
// zero tail, untrimmed indexes, a head file that says what was published),
// torn at every byte of the last batches, zero-filled, with deleted or
// damaged indexes and head files. Open must always succeed, keep every
// record written, return nothing damaged, continue at the right offset and
// leave sound files; and it must check only the tail, not the whole log.
import EventLog
import Foundation
import Testing

@Suite struct RecoveryTests {
    @Test func crashSnapshotReopensWithEverythingWritten() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options())
        try Sample.append(0..<3000, to: log)
        try Surgery.crashSnapshot(of: log, at: path, to: dir.child("crashed"))
        try log.close()

        let crashed = dir.child("crashed")
        #expect(try EventLog.verify(at: crashed).isSound)
        let readOnly = try Reader.readAll(path: crashed, readOnly: true)
        #expect(readOnly.offsets == Array(0..<3000) && readOnly.wrong.isEmpty && readOnly.errors.isEmpty)

        let reopened = try EventLog(path: crashed, options: Sample.options())
        #expect(reopened.endOffset == 3000)
        try Sample.append(3000..<3100, to: reopened)
        let outcome = try Reader.readAll(reopened)
        #expect(outcome.offsets == Array(0..<3100) && outcome.wrong.isEmpty && outcome.errors.isEmpty)
        try reopened.close()
        let report = try EventLog.verify(at: crashed)
        #expect(report.isSound && report.truncatedBytes == 0 && report.records == 3100, "\(report.problems)")
    }

    /// Cuts the last segment at every byte position within its last three
    /// batches; each time a read-only open and then a writable open must
    /// keep exactly the whole batches before the cut.
    @Test func tornTailAtEveryBytePosition() throws {
        let dir = TemporaryDirectory()
        let pristine = dir.child("pristine")
        try Sample.writeLog(pristine, count: 400, options: Sample.options(segmentBytes: 1 << 20, batchMaxBytes: 512))
        let logPath = Surgery.segments(pristine).last!
        let batches = Surgery.batches(logPath)
        #expect(batches.count > 10)
        let work = dir.child("work")
        let tail = batches.suffix(3)
        var checked = 0
        for cut in tail.first!.position..<(tail.last!.position + tail.last!.size) {
            try Surgery.copyDirectory(pristine, to: work)
            Surgery.truncate(work + "/" + (logPath as NSString).lastPathComponent, to: cut)
            let whole = batches.filter { $0.position + $0.size <= cut }
            let expectedEnd = whole.last.map { $0.lastOffset + 1 } ?? 0

            let readOnly = try Reader.readAll(path: work, readOnly: true)
            #expect(readOnly.wrong.isEmpty)
            #expect(Set(readOnly.offsets).isSubset(of: Set(0..<expectedEnd)))

            let log = try EventLog(path: work, options: Sample.options(segmentBytes: 1 << 20, batchMaxBytes: 512))
            #expect(log.endOffset == expectedEnd, "cut at byte \(cut)")
            let outcome = try Reader.readAll(log)
            #expect(outcome.offsets == Array(0..<expectedEnd) && outcome.wrong.isEmpty && outcome.errors.isEmpty)
            #expect(try log.append(Sample.record(expectedEnd)) == expectedEnd)
            try log.close()
            let report = try EventLog.verify(at: work)
            #expect(report.isSound && report.records == expectedEnd + 1, "cut at byte \(cut): \(report.problems)")
            checked += 1
        }
        #expect(checked == tail.reduce(0) { $0 + $1.size })
    }

    @Test func zeroFilledTailIsCut() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try Sample.writeLog(path, count: 500, options: Sample.options(segmentBytes: 1 << 20))
        let logPath = Surgery.segments(path).last!
        let batches = Surgery.batches(logPath)
        let keep = batches[batches.count - 4]
        Surgery.zero(logPath, keep.position..<Surgery.bytes(logPath).count)
        let log = try EventLog(path: path, options: Sample.options(segmentBytes: 1 << 20))
        #expect(log.endOffset == keep.baseOffset)
        let outcome = try Reader.readAll(log)
        #expect(outcome.offsets == Array(0..<keep.baseOffset) && outcome.errors.isEmpty)
        try log.close()
        #expect(try EventLog.verify(at: path).isSound)
    }

    /// Damage early in the last segment, before its last .index entry, is not
    /// even looked at by open (it starts from that entry); the cursor that
    /// reaches it reports it. This is what keeps open O(tail).
    @Test func openChecksOnlyTheTail() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let options = Sample.options(segmentBytes: 64 << 20, batchMaxBytes: 16 << 10)
        let log = try EventLog(path: path, options: options)
        try Sample.append(0..<60_000, to: log, flushEvery: 1000)
        try Surgery.crashSnapshot(of: log, at: path, to: dir.child("crashed"))
        try log.close()
        let crashed = dir.child("crashed")
        let logPath = Surgery.segments(crashed).last!
        let damaged = Surgery.batches(logPath)[3]
        Surgery.flipBit(logPath, byte: damaged.position + 100, bit: 2)

        let started = ContinuousClock.now
        let reopened = try EventLog(path: crashed, options: options)
        let elapsed = ContinuousClock.now - started
        print("open after crash of a \(Surgery.bytes(logPath).count >> 20) MiB segment: \(elapsed)")
        #expect(reopened.endOffset == 60_000)
        let cursor = try reopened.cursor(from: 0)
        var thrown: EventLogError?
        do throws(EventLogError) { while try cursor.next() != nil {} } catch { thrown = error }
        #expect(thrown?.code == .corrupt)
        #expect(thrown?.message.contains("\((logPath as NSString).lastPathComponent)") == true)
        #expect(thrown?.message.contains("at byte \(damaged.position + 17)") == true, "\(thrown?.message ?? "")")
        #expect(elapsed < .seconds(2))
    }

    @Test(arguments: ["delete", "truncate", "garbage", "zero", "swap"])
    func damagedIndexesAreRebuilt(_ damage: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try Sample.writeLog(path, count: 4000)
        #expect(Surgery.segments(path).count >= 4)
        var generator = SeededGenerator(seed: UInt64(damage.utf8.count))
        let indexes = Surgery.files(path, suffix: ".index") + Surgery.files(path, suffix: ".timeindex")
        let originals = indexes.map { Surgery.bytes($0) }
        for (i, index) in indexes.enumerated() {
            switch damage {
            case "delete": try FileManager.default.removeItem(atPath: index)
            case "truncate": Surgery.truncate(index, to: originals[i].count / 2 + 3)
            case "garbage":
                Surgery.write(index, (0..<originals[i].count).map { _ in UInt8.random(in: 0...255, using: &generator) })
            case "zero": Surgery.write(index, [UInt8](repeating: 0, count: originals[i].count))
            default: Surgery.write(index, originals[(i + 1) % originals.count])  // another segment's index
            }
        }
        // Read-only handles rebuild nothing, but must not be misled.
        try checkSeeks(path, readOnly: true)
        let outcome = try Reader.readAll(path: path, readOnly: true)
        #expect(outcome.offsets == Array(0..<4000) && outcome.wrong.isEmpty && outcome.errors.isEmpty)

        let log = try EventLog(path: path, options: Sample.options())
        #expect(log.endOffset == 4000)
        try log.close()
        for (i, index) in indexes.enumerated() {
            #expect(Surgery.bytes(index) == originals[i], "\(damage): \(index) not rebuilt as it was")
        }
        #expect(try EventLog.verify(at: path).isSound)
        try checkSeeks(path, readOnly: false)
    }

    private func checkSeeks(_ path: String, readOnly: Bool) throws {
        var options = Sample.options()
        options.readOnly = readOnly
        let log = try EventLog(path: path, options: options)
        let cursor = try log.cursor()
        for target: UInt64 in [0, 1, 77, 500, 1234, 2001, 3000, 3999] {
            try cursor.seek(to: .offset(target))
            #expect(try cursor.next() == Sample.record(target))
            try cursor.seek(to: .time(sinceEpoch: .milliseconds(Sample.baseTimestamp + Int64(target))))
            let found = try cursor.next()
            if readOnly {
                // A read-only handle trusts a segment's last .timeindex
                // entry, as Kafka does; a damaged one may place a time seek
                // late, but never on a wrong record.
                #expect(found.map { $0 == Sample.record($0.offset) && $0.offset >= target } ?? true)
            } else {
                #expect(found?.offset == target)
            }
        }
        try log.close()
    }

    @Test(arguments: ["delete", "short", "garbage", "wrongMagic", "hostileState", "zeroState"])
    func damagedHeadFile(_ damage: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options())
        try Sample.append(0..<2000, to: log)
        try Surgery.crashSnapshot(of: log, at: path, to: dir.child("crashed"))
        try log.close()
        let crashed = dir.child("crashed")
        let head = crashed + "/eventlog.head"
        var bytes = Surgery.bytes(head)
        var generator = SeededGenerator(seed: 99)
        switch damage {
        case "delete": try FileManager.default.removeItem(atPath: head)
        case "short": Surgery.truncate(head, to: 100)
        case "garbage": Surgery.write(head, (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case "wrongMagic":
            bytes[0] ^= 0xFF
            Surgery.write(head, bytes)
        case "hostileState":
            // Magic and version intact, both state slots claiming far more
            // than the files hold: readers must not map past the end.
            for slot in [64, 128] {
                for i in 0..<56 { bytes[slot + i] = 0x7F }
                withUnsafeBytes(of: Int64(0).littleEndian) { for (i, b) in $0.enumerated() { bytes[slot + i] = b } }
            }
            let last = Int64(Surgery.segments(crashed).last!.suffix(24).prefix(20))!
            for slot in [64, 128] {
                withUnsafeBytes(of: last.littleEndian) { for (i, b) in $0.enumerated() { bytes[slot + i] = b } }
            }
            Surgery.write(head, bytes)
        default:
            for i in 64..<192 { bytes[i] = 0 }
            Surgery.write(head, bytes)
        }
        let readOnly = try Reader.readAll(path: crashed, readOnly: true)
        #expect(readOnly.wrong.isEmpty)
        let reopened = try EventLog(path: crashed, options: Sample.options())
        #expect(reopened.endOffset == 2000)
        try Sample.append(2000..<2010, to: reopened)
        let outcome = try Reader.readAll(reopened)
        #expect(outcome.offsets == Array(0..<2010) && outcome.wrong.isEmpty && outcome.errors.isEmpty)
        try reopened.close()
        #expect(try EventLog.verify(at: crashed).isSound)
    }

    /// A damaged baseOffset (outside the CRC) or batchLength in the tail
    /// must not make open trap or continue at a wrong offset: recovery cuts
    /// before that batch. (A negative batchLength once trapped in the scan.)
    @Test func damagedHeaderInTheTailIsCut() throws {
        let dir = TemporaryDirectory()
        for (bit, byte) in [(6, 0), (0, 3), (7, 7), (3, 7), (7, 8), (0, 11), (6, 9)] {
            let path = dir.child("log\(bit)\(byte)")
            try Sample.writeLog(path, count: 300, options: Sample.options(segmentBytes: 1 << 20, batchMaxBytes: 1024))
            let logPath = Surgery.segments(path).last!
            let last = Surgery.batches(logPath).last!
            Surgery.flipBit(logPath, byte: last.position + byte, bit: bit)
            let log = try EventLog(path: path, options: Sample.options(segmentBytes: 1 << 20, batchMaxBytes: 1024))
            #expect(log.endOffset <= 300)
            let outcome = try Reader.readAll(log)
            #expect(outcome.wrong.isEmpty)
            try log.close()
        }
    }
}
