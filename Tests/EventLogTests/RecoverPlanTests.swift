// SPDX-License-Identifier: Apache-2.0
// What recover keeps and what it moves aside: intact batches stay readable
// at their offsets beside damage, damaged byte ranges go to the quarantine
// folder, files named like segments that are not segments of the log
// (garbage, copies, directories, FIFOs, symlinks) are moved aside rather than
// used to delete segments, a dry run changes nothing, and the Kafka-style
// cut after the first damage happens only when asked for. A writable open
// refuses a stranger as the last segment instead of cutting it.
import EventLog
import Foundation
import Testing

@Suite struct RecoverPlanTests {
    static let count: UInt64 = 4000

    /// A closed log of `count` Sample records in several segments.
    private func cleanLog(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.child("log")
        try Sample.writeLog(path, count: Self.count)
        #expect(Surgery.segments(path).count >= 5)
        return path
    }

    /// Every record of `range` but `missing` reads back, at its offset.
    private func expectReadable(_ path: String, missing: ClosedRange<UInt64>? = nil, _ comment: Comment? = nil) throws {
        let outcome = try Reader.readAll(path: path, readOnly: false)
        let expected = (0..<Self.count).filter { missing?.contains($0) != true }
        #expect(outcome.offsets == expected, comment)
        #expect(outcome.wrong.isEmpty && outcome.errors.isEmpty, "\(outcome.errors.prefix(3))")
    }

    private func quarantined(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/quarantine")) ?? []).sorted()
    }

    @Test func garbageNamedLikeASegmentIsMovedAside() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        var generator = SeededGenerator(seed: 123)
        let garbage = (0..<300).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        Surgery.write(path + "/00000000000000000123.log", garbage)

        let report = try EventLog.recover(at: path)
        #expect(report.recordsDropped == 0 && report.segmentsDeleted == 0 && report.nextOffset == Self.count)
        #expect(quarantined(path) == ["00000000000000000123.log"])
        #expect(Surgery.bytes(path + "/quarantine/00000000000000000123.log") == garbage)
        try expectReadable(path)
        #expect(try EventLog.verify(at: path).isSound)
    }

    /// A stranger without an intact batch is reported with what lies at its
    /// byte 0 and its size, so a user can tell a cut copy from garbage.
    @Test func verifySaysWhatAStrangerHoldsInsteadOfABatch() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        let segment = Surgery.segments(path)[1]
        let first = Surgery.batches(segment)[0]
        let cut = path + "/" + String(format: "%020llu.log", first.baseOffset + 1)
        Surgery.write(cut, Array(Surgery.bytes(segment).prefix(100)))
        var generator = SeededGenerator(seed: 7)
        let garbage = path + "/00000000000000000123.log"
        Surgery.write(garbage, (0..<300).map { _ in UInt8(truncatingIfNeeded: generator.next()) })

        let problems = try EventLog.verify(at: path).problems.map(\.description)
        #expect(problems.count == 2, "\(problems)")
        #expect(
            problems.contains {
                $0.contains(cut) && $0.contains("its first batch claims \(first.size) bytes, and the file holds 100 bytes")
            }, "\(problems)")
        #expect(problems.contains { $0.contains(garbage) && $0.contains("the file holds 300 bytes") }, "\(problems)")
    }

    /// A copy of a segment under another base: named inside an earlier
    /// segment's offsets, or past the end of the log. The original stays.
    @Test(arguments: ["inside", "past the end"])
    func copyOfASegmentIsMovedAside(_ placement: String) throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        let segments = Surgery.segments(path)
        let copied = segments[2]
        let base = placement == "inside" ? Surgery.batches(segments[1])[0].baseOffset + 10 : 99_999
        let name = String(format: "%020llu.log", base)
        Surgery.write(path + "/" + name, Surgery.bytes(copied))

        let report = try EventLog.recover(at: path)
        #expect(report.recordsDropped == 0 && report.segmentsDeleted == 0 && report.nextOffset == Self.count)
        #expect(quarantined(path) == [name])
        #expect(Surgery.bytes(copied) == Surgery.bytes(path + "/quarantine/" + name))
        try expectReadable(path)
        #expect(try EventLog.verify(at: path).isSound)
    }

    @Test func bitFlipInAMiddleSegmentQuarantinesOnlyTheDamagedBatch() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        let segments = Surgery.segments(path)
        let damagedSegment = segments[1]
        let batches = Surgery.batches(damagedSegment)
        let damaged = batches[batches.count / 2]
        Surgery.flipBit(damagedSegment, byte: damaged.position + 70, bit: 4)
        let damagedBytes = Array(Surgery.bytes(damagedSegment)[damaged.position..<damaged.position + damaged.size])

        let report = try EventLog.recover(at: path)
        #expect(report.segmentsDeleted == 0 && report.nextOffset == Self.count)
        #expect(report.recordsDropped == UInt64(damaged.recordCount))
        let name = (damagedSegment as NSString).lastPathComponent
        let side = "\(name).\(damaged.position).bin"
        #expect(quarantined(path) == [side])
        #expect(Surgery.bytes(path + "/quarantine/" + side) == damagedBytes)
        #expect(Surgery.segments(path) == segments)
        try expectReadable(path, missing: damaged.baseOffset...damaged.lastOffset)
        #expect(try EventLog.verify(at: path).isSound)

        // The gap stays a gap; a cursor lands on the next record after it.
        let log = try EventLog(path: path, options: Sample.options())
        let cursor = try log.cursor(from: .offset(damaged.baseOffset))
        #expect(try cursor.next() == Sample.record(damaged.lastOffset + 1))
        #expect(try log.append(Sample.record(Self.count)) == Self.count)
        try log.close()
    }

    @Test func nonRegularFilesNamedLikeSegmentsAreMovedAside() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        #expect(mkdir(path + "/00000000000000099999.log", 0o755) == 0)
        #expect(mkdir(path + "/00000000000000000042.log", 0o755) == 0)
        #expect(mkfifo(path + "/00000000000000000077.log", 0o644) == 0)
        #expect(symlink(Surgery.segments(path)[1], path + "/00000000000000088888.log") == 0)

        let report = try EventLog.recover(at: path)
        #expect(report.recordsDropped == 0 && report.segmentsDeleted == 0 && report.nextOffset == Self.count)
        #expect(
            quarantined(path) == [
                "00000000000000000042.log", "00000000000000000077.log", "00000000000000088888.log",
                "00000000000000099999.log",
            ])
        try expectReadable(path)
    }

    /// A FIFO named like a closed segment no longer hangs a writable open
    /// (which checks closed segments' indexes); recover moves it aside.
    @Test func fifoNamedLikeAClosedSegmentDoesNotHangAWritableOpen() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        #expect(mkfifo(path + "/00000000000000000077.log", 0o644) == 0)
        let append = try CLI.start(["append", path], withInput: true)
        append.input?.fileHandleForWriting.write(Data("x\n".utf8))
        try append.input?.fileHandleForWriting.close()
        #expect(try append.waitForExit(timeout: 30) == 0)
        #expect(
            try EventLog.recover(at: path).strangers.map(\.destination) == [
                path + "/quarantine/00000000000000000077.log"
            ])
        #expect(try EventLog.verify(at: path).isSound)
    }

    /// Strangers of every kind at random bases (garbage, zeros, whole and
    /// partial copies of segments): recover never fails, moves each aside
    /// and keeps every record.
    @Test func randomStrangersNeverCostARecord() throws {
        let dir = TemporaryDirectory()
        let pristine = try cleanLog(dir)
        let segments = Surgery.segments(pristine)
        let bases = Set(segments.map { UInt64(($0 as NSString).lastPathComponent.prefix(20))! })
        var generator = SeededGenerator(seed: 11)
        let work = dir.child("work")
        for round in 0..<40 {
            try Surgery.copyDirectory(pristine, to: work)
            var added: [String] = []
            for _ in 0..<(1 + generator.next() % 3) {
                var base = generator.next() % (Self.count + 2000)
                while bases.contains(base) { base += 1 }
                let name = String(format: "%020llu.log", base)
                let source = Surgery.bytes(segments.randomElement(using: &generator)!)
                let length = Int(generator.next() % 5000)
                let bytes: [UInt8]
                switch generator.next() % 4 {
                case 0: bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                case 1: bytes = [UInt8](repeating: 0, count: length)
                case 2: bytes = source
                default: bytes = Array(source.prefix(length))
                }
                Surgery.write(work + "/" + name, bytes)
                added.append(name)
            }
            let report = try EventLog.recover(at: work)
            #expect(report.recordsDropped == 0 && report.nextOffset == Self.count, "round \(round): \(added)")
            let problems = try EventLog.verify(at: work).problems
            #expect(problems.isEmpty, "round \(round): \(added): \(problems)")
            let outcome = try Reader.readAll(path: work, readOnly: true)
            #expect(outcome.offsets == Array(0..<Self.count) && outcome.errors.isEmpty, "round \(round): \(added)")
        }
    }

    /// A garbage file with a higher base than the log's last segment: the
    /// writable open refuses it (no silent cut, no jump of the next offset);
    /// recover moves it aside and the log continues where it ended.
    @Test func strangerAsTheLastSegmentFailsTheWritableOpen() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        let stranger = path + "/00000000000000500000.log"
        var generator = SeededGenerator(seed: 7)
        Surgery.write(stranger, (0..<300).map { _ in UInt8(truncatingIfNeeded: generator.next() | 1) })

        var thrown: EventLogError?
        do { _ = try EventLog(path: path, options: Sample.options()) } catch { thrown = error }
        #expect(thrown?.code == .corrupt)
        #expect(thrown?.message.contains(stranger) == true && thrown?.message.contains("eventlog recover") == true)
        #expect(Surgery.bytes(stranger).count == 300)

        _ = try EventLog.recover(at: path)
        let log = try EventLog(path: path, options: Sample.options())
        #expect(log.endOffset == Self.count)
        #expect(try log.append(Sample.record(Self.count)) == Self.count)
        try log.close()
    }

    /// What a writer killed just after a roll leaves is still cut at open:
    /// a segment of preallocated zeros, or a torn first batch whose
    /// baseOffset is the segment's base.
    @Test(arguments: ["zeros", "torn first batch"])
    func freshlyRolledTornSegmentIsStillCutAtOpen(_ kind: String) throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        var bytes = [UInt8](repeating: 0, count: 8192)
        if kind == "torn first batch" {
            let whole = Surgery.bytes(Surgery.segments(path)[0])
            bytes.replaceSubrange(0..<40, with: whole[0..<40])
            for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: Self.count >> (56 - 8 * UInt64(i))) }
        }
        Surgery.write(path + String(format: "/%020llu.log", Self.count), bytes)

        let log = try EventLog(path: path, options: Sample.options())
        #expect(log.endOffset == Self.count)
        #expect(try log.append(Sample.record(Self.count)) == Self.count)
        try log.close()
        #expect(try EventLog.verify(at: path).isSound)
    }

    /// Every file under `path` (recursively) with its bytes, or its kind,
    /// but the lock files: recover takes the locks even in a dry run, and
    /// they record their holder.
    private func snapshot(_ path: String) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            if name.hasSuffix(".lock") { continue }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory)
            files[name] = isDirectory.boolValue ? Array("directory".utf8) : Surgery.bytes(path + "/" + name)
        }
        return files
    }

    @Test func dryRunListsThePlanAndChangesNothing() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        let segments = Surgery.segments(path)
        let batches = Surgery.batches(segments[2])
        Surgery.flipBit(segments[2], byte: batches[3].position + 70, bit: 1)
        Surgery.write(path + "/00000000000000000123.log", [UInt8](repeating: 0x5A, count: 300))
        let before = snapshot(path)

        let text = try CLI.run(["recover", path, "--dry-run"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(
            text.stdout.contains("00000000000000000123.log") && text.stdout.contains("at byte \(batches[3].position)"))
        let json = try CLI.run(["recover", path, "--dry-run", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["dry_run"] as? Bool == true)
        #expect((report["strangers"] as? [[String: Any]])?.count == 1)
        let ranges = try #require(report["quarantined"] as? [[String: Any]])
        #expect(ranges.count == 1 && ranges.first?["position"] as? Int == batches[3].position)
        let after = snapshot(path)
        #expect(after == before, "changed: \(after.keys.filter { after[$0] != before[$0] })")
    }

    /// The plan a dry run reports is what the run then does.
    @Test func dryRunReportsWhatTheRunDoes() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        let segments = Surgery.segments(path)
        let batches = Surgery.batches(segments[3])
        Surgery.zero(segments[3], batches[2].position + 20..<batches[4].position + 30)
        Surgery.write(path + "/00000000000000000500.log", Surgery.bytes(segments[0]))

        var planned = try EventLog.recover(at: path, options: RecoverOptions(dryRun: true))
        #expect(planned.dryRun && planned.strangers.count == 1 && planned.removals.count >= 1)
        let done = try EventLog.recover(at: path)
        planned.dryRun = false
        #expect(planned == done)
        #expect(done.recordsKept == Self.count - UInt64(batches[2...4].reduce(0) { $0 + $1.recordCount }))
        try expectReadable(path, missing: batches[2].baseOffset...batches[4].lastOffset)
    }

    @Test func truncateAfterDamageCutsEverythingAfterAsBefore() throws {
        let dir = TemporaryDirectory()
        let path = try cleanLog(dir)
        let segments = Surgery.segments(path)
        let batches = Surgery.batches(segments[1])
        let damaged = batches[batches.count / 2]
        Surgery.flipBit(segments[1], byte: damaged.position + 70, bit: 4)

        let result = try CLI.run(["recover", path, "--truncate-after-damage", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["next_offset"] as? Int == Int(damaged.baseOffset))
        #expect(report["records_dropped"] as? Int == Int(Self.count - damaged.baseOffset))
        #expect(report["segments_deleted"] as? Int == segments.count - 2)
        #expect(Surgery.segments(path) == Array(segments.prefix(2)))
        let outcome = try Reader.readAll(path: path, readOnly: false)
        #expect(outcome.offsets == Array(0..<damaged.baseOffset) && outcome.errors.isEmpty)
    }
}
