// SPDX-License-Identifier: Apache-2.0
// A compaction killed at every step: a forked child runs the compaction and
// dies (_exit, no cleanup, like SIGKILL) just before its k-th system call on
// the log's files, for every k. After each death the log, read as it is,
// holds every record that must survive, each exactly as written, offsets
// strictly increasing; recovery leaves no temporary file and a sound log; a
// writer opens it; and a full compaction then gives exactly the model. The
// same holds when the child is sent SIGKILL at random moments. The fault
// injector is installed only in the child, so tests running beside this one
// in the parent are not disturbed.
import EventLog
import EventLogStorage
import Foundation
import Glibc
import Synchronization
import Testing

private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

@Suite struct CompactionCrashTests {
    static let start: Int64 = 1_700_000_000_000
    static let hour: Int64 = 3_600_000

    /// A log whose closed segments hold obsolete values and tombstones, one
    /// pass already compacted (so some batches carry a delete horizon).
    private func makeLog(_ path: String) throws -> [UInt64: Record] {
        var options = EventLogOptions()
        options.segmentBytes = 4096
        options.batchMaxBytes = 1 << 20
        options.compression = .none  // larger segments: several merge groups
        var generator = SeededGenerator(seed: 3)
        let model = CompactionModel(deleteRetention: Self.hour)
        var all: [UInt64: Record] = [:]
        let log = try EventLog(path: path, options: options)
        for i in 0..<240 {
            let batch = CompactionFixture.randomBatch(
                &generator, count: 1 + i % 5, keyCount: 60, valueBytes: 60, time: Self.start + Int64(i),
                tombstoneEvery: 6)
            try model.append(batch, to: log)
            if i == 120 {
                var compact = CompactOptions()
                compact.deleteRetentionMilliseconds = Self.hour
                compact.currentTimeMilliseconds = Self.start
                compact.maxSegmentBytes = 3 * 4096
                _ = try EventLog.compact(at: path, options: compact)
            }
        }
        try log.close()
        for record in try CompactionFixture.readAll(path) { all[record.offset] = record }
        return all
    }

    private static func compactOptions() -> CompactOptions {
        var compact = CompactOptions()
        compact.deleteRetentionMilliseconds = Self.hour
        compact.currentTimeMilliseconds = Self.start + 2 * Self.hour
        compact.maxSegmentBytes = 2 * 4096
        return compact
    }

    /// Runs a compaction of `path` in a child process that dies before its
    /// system call number `dieAt` on the log's files (never, if nil), or is
    /// sent SIGKILL after `killAfter` microseconds. Returns the number of such
    /// calls it made (when it lived) or nil.
    private static func compactInChild(
        _ path: String, dieAt: Int?, killAfter: UInt32? = nil, countFile: String
    ) -> Int? {
        let pid = fork()
        if pid == 0 {
            let calls = Counter()
            FaultInjection.install { _, file in
                guard file.hasPrefix(path) else { return nil }
                if calls.value.add(1, ordering: .relaxed).oldValue == dieAt { _exit(137) }
                return nil
            }
            _ = try? EventLog.compact(at: path, options: compactOptions())
            let text = "\(calls.value.load(ordering: .relaxed))"
            _ = FileManager.default.createFile(atPath: countFile, contents: Data(text.utf8))
            _exit(0)
        }
        var status: Int32 = 0
        if let killAfter {
            usleep(killAfter)
            kill(pid, SIGKILL)
        }
        let deadline = monotonicNanoseconds() + 30_000_000_000
        while waitpid(pid, &status, WNOHANG) == 0 {
            if monotonicNanoseconds() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(1000)
        }
        guard (status & 0x7f) == 0, (status >> 8) & 0xff == 0 else { return nil }
        return (try? String(contentsOfFile: countFile, encoding: .utf8)).flatMap { Int($0) }
    }

    /// What the log holds must include every record of `live`, each as it
    /// was written, in strictly increasing offsets.
    private func check(_ path: String, live: [Record], written: [UInt64: Record], _ step: String) throws {
        let records = try CompactionFixture.readAll(path)
        let offsets = records.map(\.offset)
        #expect(zip(offsets, offsets.dropFirst()).allSatisfy { $0 < $1 }, "\(step): offsets not increasing")
        #expect(records.allSatisfy { written[$0.offset] == $0 }, "\(step): a record differs from what was written")
        let present = Set(offsets)
        let missing = live.filter { !present.contains($0.offset) }.map(\.offset)
        #expect(missing.isEmpty, "\(step): live records missing: \(missing.prefix(5))")
    }

    @Test func killedAtEveryStepLosesNothing() throws {
        let dir = TemporaryDirectory()
        let original = dir.child("original")
        let written = try makeLog(original)
        // The outcome of an uninterrupted compaction, and how many calls it makes.
        let reference = dir.child("reference")
        try CompactionFixture.copyDirectory(original, to: reference)
        let steps = try #require(Self.compactInChild(reference, dieAt: nil, countFile: dir.child("count")))
        let live = try CompactionFixture.readAll(reference)
        #expect(live.count < written.count / 2)
        #expect(steps > 20)
        var died = 0
        for k in 0...steps {
            let work = dir.child("work")
            try CompactionFixture.copyDirectory(original, to: work)
            if Self.compactInChild(work, dieAt: k, countFile: dir.child("count")) == nil { died += 1 }
            try check(work, live: live, written: written, "killed before call \(k)")
            try SegmentSwap.recoverInterrupted(directory: work)
            let leftovers = ["cleaned", "swap", "replacing"].flatMap { CompactionFixture.files(work, suffix: "." + $0) }
            #expect(leftovers.isEmpty, "killed before call \(k): \(leftovers)")
            try check(work, live: live, written: written, "recovered after call \(k)")
            let report = try EventLog.verify(at: work)
            #expect(report.isSound, "killed before call \(k): \(report.problems.prefix(2))")
            let log = try EventLog(path: work)
            try log.close()
            _ = try EventLog.compact(at: work, options: Self.compactOptions())
            #expect(try CompactionFixture.readAll(work) == live, "compacted again after call \(k)")
        }
        #expect(died == steps)
    }

    @Test func killedAtRandomMomentsLosesNothing() throws {
        let dir = TemporaryDirectory()
        let original = dir.child("original")
        let written = try makeLog(original)
        let reference = dir.child("reference")
        try CompactionFixture.copyDirectory(original, to: reference)
        let started = monotonicNanoseconds()
        _ = try #require(Self.compactInChild(reference, dieAt: nil, countFile: dir.child("count")))
        let duration = UInt32((monotonicNanoseconds() - started) / 1000)
        let live = try CompactionFixture.readAll(reference)
        var generator = SeededGenerator(seed: 17)
        for round in 0..<20 {
            let work = dir.child("work")
            try CompactionFixture.copyDirectory(original, to: work)
            let delay = UInt32(generator.next() % UInt64(max(duration, 1)))
            _ = Self.compactInChild(work, dieAt: nil, killAfter: delay, countFile: dir.child("count"))
            try check(work, live: live, written: written, "SIGKILL after \(delay) us (round \(round))")
            // A writable open finishes what the compaction left, then compaction runs to the end.
            try SegmentSwap.recoverInterrupted(directory: work)
            try EventLog(path: work).close()
            try check(work, live: live, written: written, "reopened after SIGKILL (round \(round))")
            _ = try EventLog.compact(at: work, options: Self.compactOptions())
            #expect(try CompactionFixture.readAll(work) == live, "compacted again (round \(round))")
        }
    }
}
