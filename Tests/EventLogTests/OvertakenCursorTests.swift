// SPDX-License-Identifier: Apache-2.0
// Readers far behind while retention deletes the oldest segments. A cursor
// whose next records are gone is told so (outOfRange, naming the offsets
// lost and the new start) instead of skipping them silently or failing
// with a missing file, and a seek to the oldest offset goes on; `eventlog
// tail` says so and goes on; a scan covers what is left.
import EventLog
import EventLogStorage
import Foundation
import Glibc
import Synchronization
import Testing

@Suite struct OvertakenCursorTests {
    private static let count: UInt64 = 3000

    /// The path of a closed log of several segments.
    private static func closedSegmentedLog(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.child("log")
        try Sample.writeLog(path, count: count)
        #expect(Surgery.segments(path).count >= 5)
        return path
    }

    /// A closed log of several segments, and a read-only handle on it.
    private static func segmentedLog(_ dir: TemporaryDirectory) throws -> (String, EventLog) {
        let path = try closedSegmentedLog(dir)
        var options = EventLogOptions()
        options.readOnly = true
        return (path, try EventLog(path: path, options: options))
    }

    /// Reads until the end or the first error: the records and the error.
    private static func readOn(_ cursor: Cursor, after first: Record) -> ([UInt64], EventLogError?) {
        var offsets = [first.offset]
        while true {
            do throws(EventLogError) {
                guard let record = try cursor.next() else { return (offsets, nil) }
                offsets.append(record.offset)
            } catch {
                return (offsets, error)
            }
        }
    }

    /// The base offset of the oldest segment left.
    private static func firstBase(_ path: String) throws -> UInt64 {
        let name = try #require(Surgery.segments(path).first).split(separator: "/").last!
        return try #require(UInt64(name.dropLast(".log".count)))
    }

    /// After the error: the same error again until a seek, then from the
    /// log's new start every record to the end, as written.
    private static func expectGoesOnFromTheStart(_ cursor: Cursor, _ path: String, lost: EventLogError) throws {
        #expect(throws: lost) { try cursor.next() }
        try cursor.seek(to: .oldest)
        let rest = try cursor.records()
        #expect(rest.map(\.offset) == Array(try firstBase(path)..<count))
        #expect(rest.allSatisfy { $0 == Sample.record($0.offset) })
    }

    @Test func retentionPassingACursorIsReportedWithTheOffsetsLost() throws {
        let dir = TemporaryDirectory()
        let (path, log) = try Self.segmentedLog(dir)
        let cursor = try log.cursor(from: .oldest)
        let first = try #require(try cursor.next())
        var limits = RetentionOptions()
        limits.retentionBytes = 64 << 10
        let report = try EventLog.applyRetention(at: path, options: limits)
        #expect(report.deletedSegments.count >= 3)

        // The segment the cursor has open stays readable to its end.
        let (offsets, error) = Self.readOn(cursor, after: first)
        let next = offsets.last! + 1
        #expect(offsets == Array(0..<next) && next < report.startOffset)
        #expect(try Self.firstBase(path) == report.startOffset)
        let lost = try #require(error)
        #expect(lost.code == .outOfRange)
        #expect(lost.message.contains("offsets \(next)..<\(report.startOffset) were deleted by retention"))
        try Self.expectGoesOnFromTheStart(cursor, path, lost: lost)
        try log.close()
    }

    /// An injector that acts like retention running just ahead of a reader:
    /// before each of the next `opens` opens of a segment other than the
    /// last, it deletes that segment and every older one.
    private static func retentionAhead(of path: String, opens: Int) -> FaultInjection.Injector {
        let opensLeft = Atomic<Int>(opens)
        return { operation, file in
            guard operation == .open, file.hasPrefix(path + "/"), file.hasSuffix(".log") else { return nil }
            // The last segment, which retention never deletes, is opened
            // first by every open of the log: no trigger.
            let older = Surgery.segments(path).dropLast()
            guard older.contains(file), opensLeft.subtract(1, ordering: .relaxed).oldValue > 0 else { return nil }
            for segment in older where segment <= file {
                let stem = String(segment.dropLast(".log".count))
                for suffix in [".log", ".index", ".timeindex"] { unlink(stem + suffix) }
            }
            return nil
        }
    }

    /// Retention deletes the segment the cursor is about to open, and the
    /// next one as the cursor lists the directory again: each open finds
    /// its file gone. A missing file used to escape as `notFound`, which
    /// reads as "the log is gone".
    @Test func segmentsDeletedAsTheCursorOpensThemAreReportedAsLost() throws {
        let dir = TemporaryDirectory()
        let (path, log) = try Self.segmentedLog(dir)
        let cursor = try log.cursor(from: .oldest)
        let first = try #require(try cursor.next())
        let (offsets, error) = FaultInjection.withInjector(Self.retentionAhead(of: path, opens: 2)) {
            Self.readOn(cursor, after: first)
        }
        let lost = try #require(error)
        #expect(lost.code == .outOfRange, "\(lost)")
        let start = try Self.firstBase(path)
        #expect(lost.message.contains("offsets \(offsets.last! + 1)..<\(start) were deleted by retention"))
        #expect(offsets == Array(0...offsets.last!))
        try Self.expectGoesOnFromTheStart(cursor, path, lost: lost)
        try log.close()
    }

    /// A seek to the oldest offset while retention deletes the first
    /// segments one after another, each just as the seek opens it, lands
    /// on the first record left. It failed with outOfRange ("before the
    /// first segment"): the start it had read was gone, and `eventlog
    /// serve` ended a stream behind retention with 4500.
    @Test func seekToTheOldestWhileRetentionDeletesLandsOnWhatIsLeft() throws {
        let dir = TemporaryDirectory()
        let (path, log) = try Self.segmentedLog(dir)
        // At the end, so that no older segment is mapped yet.
        let cursor = try log.cursor(from: .latest)
        let segmentsBefore = Surgery.segments(path).count
        try FaultInjection.withInjector(Self.retentionAhead(of: path, opens: 3)) {
            try cursor.seek(to: .oldest)
        }
        #expect(Surgery.segments(path).count == segmentsBefore - 3)
        let start = try Self.firstBase(path)
        #expect(cursor.offset == start)
        #expect(try cursor.records().map(\.offset) == Array(start..<Self.count))
        try log.close()
    }

    /// `eventlog tail` far behind (its output unread, so it waits on a full
    /// pipe) while retention deletes what it was to print next: it says on
    /// standard error which offsets it lost and goes on from the new start.
    @Test func tailFarBehindRetentionSaysWhatItLostAndGoesOn() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try Sample.writeLog(path, count: 60_000)
        let errors = dir.child("tail.err")
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let tail = Process()
        tail.executableURL = URL(fileURLWithPath: CLI.executable)
        tail.arguments = ["tail", path, "--from", "0"]
        let output = Pipe()
        tail.standardOutput = output
        tail.standardError = FileHandle(forWritingAtPath: errors)
        try tail.run()
        let lines = LineStream(output.fileHandleForReading.fileDescriptor)
        /// The offset of a line as tail prints it: {"offset":N,...}.
        func offset(_ line: String?) throws -> UInt64 {
            let line = try #require(line)
            return try #require(UInt64(line.dropFirst("{\"offset\":".count).prefix { $0 != "," }))
        }
        var offsets = [try offset(try lines.nextLine(timeout: 30))]
        var limits = RetentionOptions()
        limits.retentionBytes = 256 << 10
        let report = try EventLog.applyRetention(at: path, options: limits)
        while let line = try lines.nextLine(timeout: 30) { offsets.append(try offset(line)) }
        tail.waitUntilExit()
        #expect(tail.terminationStatus == 0)

        let start = report.startOffset
        let printedBefore = try #require(offsets.firstIndex(of: start))
        #expect(offsets[..<printedBefore] == ArraySlice(0..<UInt64(printedBefore)))
        #expect(offsets[printedBefore...] == ArraySlice(start..<60_000))
        let said = String(decoding: FileManager.default.contents(atPath: errors) ?? Data(), as: UTF8.self)
        #expect(said.contains("offsets \(printedBefore)..<\(start) were deleted by retention"), "\(said)")
        #expect(said.contains("going on at offset \(start)"), "\(said)")
    }

    /// `eventlog tail --from` an offset retention already deleted failed
    /// with "offset 0 is before the log start". It now says so on standard
    /// error and starts at the oldest record left, as when retention
    /// deletes records under it; `dump` from the start, whose start
    /// retention moved after the log was opened, starts there too.
    @Test func tailFromAnOffsetRetentionDeletedStartsAtTheStart() throws {
        let dir = TemporaryDirectory()
        let path = try Self.closedSegmentedLog(dir)
        var limits = RetentionOptions()
        limits.retentionBytes = 64 << 10
        let start = try EventLog.applyRetention(at: path, options: limits).startOffset
        #expect(start > 0)
        let tail = try CLI.run(["tail", path, "--from", "0", "--values"])
        #expect(tail.status == 0, "\(tail.stderr)")
        #expect(tail.stderr.contains("--from 0 is before the log start; going on at offset \(start)"))
        #expect(tail.lines.count == Int(Self.count - start))
        #expect(tail.lines.first == String(decoding: Sample.record(start).value ?? [], as: UTF8.self))
    }

    /// A scan maps the segments of its range when it is planned; retention
    /// deleting them one after another as they were mapped failed the scan
    /// with a missing file. It now covers what is left, from the log's new
    /// start (records retention removed are no error for a scan).
    @Test func aScanPlannedWhileRetentionDeletesCoversWhatIsLeft() throws {
        let dir = TemporaryDirectory()
        let (path, log) = try Self.segmentedLog(dir)
        let offsets = Locked<[UInt64]>([])
        let (code, _) = try FaultInjection.withInjector(Self.retentionAhead(of: path, opens: 2)) {
            try log.scan(from: 0, to: Self.count, threads: 1) { _, records, _ in
                offsets.withLock { $0 += records.map { UInt64($0.offset) } }
                return 0
            }
        }
        #expect(code == 0)
        #expect(offsets.withLock { $0 } == Array(try Self.firstBase(path)..<Self.count))
        try log.close()
    }

    /// `eventlog info` and `dump` walk every segment; retention deleting
    /// them one after another as they were opened failed the walk with a
    /// missing file. They now describe what is left.
    @Test func inspectionWhileRetentionDeletesDescribesWhatIsLeft() throws {
        let dir = TemporaryDirectory()
        let path = try Self.closedSegmentedLog(dir)
        let summary = try FaultInjection.withInjector(Self.retentionAhead(of: path, opens: 2)) {
            try EventLog.inspect(at: path)
        }
        let start = try Self.firstBase(path)
        #expect(start > 0)
        #expect(summary.startOffset == start && summary.recordCount == Self.count - start)

        let other = TemporaryDirectory()
        let otherPath = try Self.closedSegmentedLog(other)
        var firstBatch: UInt64?
        try FaultInjection.withInjector(Self.retentionAhead(of: otherPath, opens: 2)) {
            try EventLog.forEachBatch(at: otherPath) { firstBatch = firstBatch ?? $0.baseOffset }
        }
        let otherStart = try Self.firstBase(otherPath)
        #expect(otherStart > 0 && firstBatch == otherStart)
    }

    /// `eventlog verify` beside retention: a segment deleted before verify
    /// opened it failed verify with a missing file, and one deleted after
    /// its .log was mapped but before its indexes were read was checked and
    /// counted as if it were still part of the log, its indexes missing.
    /// Neither is damage; the report covers what is left.
    @Test func verifyBesideRetentionFindsNoDamage() throws {
        let dir = TemporaryDirectory()
        let path = try Self.closedSegmentedLog(dir)
        var report = try FaultInjection.withInjector(Self.retentionAhead(of: path, opens: 2)) {
            try EventLog.verify(at: path)
        }
        #expect(report.isSound, "\(report.problems)")
        #expect(report.records == Self.count - (try Self.firstBase(path)))

        // The oldest segment, whose indexes are read after every .log is
        // mapped (the last segment's, which a writer may be writing, before).
        let stem = String(try #require(Surgery.segments(path).first).dropLast(".log".count))
        let deleteBeforeItsIndexIsRead: FaultInjection.Injector = { operation, file in
            guard operation == .open, file == stem + ".index" else { return nil }
            for suffix in [".index", ".timeindex", ".log"] { unlink(stem + suffix) }
            return nil
        }
        let before = try Self.firstBase(path)
        report = try FaultInjection.withInjector(deleteBeforeItsIndexIsRead) { try EventLog.verify(at: path) }
        let after = try Self.firstBase(path)
        #expect(after > before)
        #expect(report.isSound, "\(report.problems)")
        #expect(report.records == Self.count - after)
    }

    /// A named cursor whose stored position retention deletes while the
    /// cursor opens resumes at the oldest record left, as eventlog.h says of
    /// a stored position retention removed; it failed with outOfRange.
    @Test func aNamedCursorWhosePositionGoesWhileItOpensResumesAtTheOldest() throws {
        let dir = TemporaryDirectory()
        let (path, log) = try Self.segmentedLog(dir)
        let committed = try log.cursor(named: "slow")
        while committed.offset < 700 { _ = try committed.next() }
        try committed.commit()
        // Another handle, whose segments are not mapped yet.
        var options = EventLogOptions()
        options.readOnly = true
        let again = try EventLog(path: path, options: options)
        let reopened = try FaultInjection.withInjector(Self.retentionAhead(of: path, opens: 1)) {
            try again.cursor(named: "slow")
        }
        let start = try Self.firstBase(path)
        #expect(start > 700)
        #expect(reopened.offset == start)
        #expect(try reopened.next()?.offset == start)
        try again.close()
        try log.close()
    }
}
