// SPDX-License-Identifier: Apache-2.0
// Compaction runs on several threads (CompactionPass): with segments cut
// into many pieces, one worker and several leave the same files, also when
// a segment turns out damaged after the active segment's keys were read or
// a worker cannot map its segment; the run then stops at that segment,
// names it, and leaves no half-written segment behind.
import EventLog
import EventLogStorage
import EventLogTestSupport
import Foundation
import Testing

@Suite struct CompactionRewriteTests {
    /// Every file of the log directory `path` but its lock file, by name.
    private func contents(_ path: String) throws -> [String: Data] {
        try LogCopies.contents(path) { !$0.hasSuffix(".lock") }
    }

    private func copies(of path: String, count: Int) throws -> [String] {
        try LogCopies.make(of: path, count: count, tag: "rewrite")
    }

    /// Options that cut every segment into pieces of a batch or two.
    private func options(workers: Int) -> Compactor.Options {
        var options = Compactor.Options()
        options.workers = workers
        options.rewritePieceBytes = 1500
        options.now = 1_800_000_000_000
        options.deleteRetentionMilliseconds = 1
        return options
    }

    private func segments(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".log") }.sorted()
    }

    @Test func smallPiecesOnManyThreadsGiveTheFilesOfOne() throws {
        let scratch = ScratchLog()
        try scratch.fill(count: 6000, seed: 31).close()
        let logs = try copies(of: scratch.path, count: 3)
        defer { for log in logs { try? FileManager.default.removeItem(atPath: log) } }
        var results: [[String: Data]] = []
        var stats: [Compactor.Stats] = []
        for (log, workers) in zip(logs, [1, 3, 8]) {
            // Twice: the second pass, past the delete horizons the first
            // set, finds the merged segments and their stamped batches.
            var run = options(workers: workers)
            stats.append(try Compactor.compact(directory: log, options: run))
            run.now = run.now! + 10
            stats.append(try Compactor.compact(directory: log, options: run))
            results.append(try contents(log))
        }
        #expect(stats[0].segmentsBefore > 10)
        #expect(stats[0].recordsAfter < stats[0].recordsBefore)
        #expect(results[1] == results[0])
        #expect(results[2] == results[0])
        #expect(stats[2] == stats[0] && stats[4] == stats[0])
        #expect(stats[3] == stats[1] && stats[5] == stats[1])
    }

    @Test func damageFoundInTheRewriteStopsItTheSameWayOnAnyThreads() throws {
        let scratch = ScratchLog()
        try scratch.fill(count: 6000, seed: 32).close()
        let names = try segments(scratch.path)
        #expect(names.count > 10)
        let damaged = names[names.count / 2]
        let logs = try copies(of: scratch.path, count: 2)
        defer { for log in logs { try? FileManager.default.removeItem(atPath: log) } }
        var messages: [String] = []
        var results: [[String: Data]] = []
        for (log, workers) in zip(logs, [1, 4]) {
            // The active segment's keys are read when the mapping phase
            // reports all bytes done; the closed segments come after.
            let path = log + "/" + damaged
            let progress: (Compactor.Progress) -> Void = { progress in
                guard progress.phase == .mapping, progress.bytesDone == progress.bytesTotal else { return }
                flipByte(at: 300, of: path)
            }
            do {
                _ = try Compactor.compact(directory: log, options: options(workers: workers), progress: progress)
                Issue.record("compaction over damage succeeded with \(workers) workers")
            } catch {
                #expect(error.code == .corrupt)
                messages.append(error.message.replacingOccurrences(of: log, with: "LOG"))
            }
            results.append(try contents(log))
        }
        #expect(messages.count == 2 && messages[0] == messages[1])
        #expect(messages.first?.contains(damaged) == true)
        #expect(messages.first?.contains("at byte") == true)
        #expect(results[1] == results[0])
        // Nothing half-written is left, and the damaged segment is still there.
        #expect(results[0].keys.allSatisfy { !$0.hasSuffix(".cleaned") && !$0.hasSuffix(".swap") })
        #expect(results[0][damaged] != nil)
    }

    @Test func aWorkerThatCannotMapItsSegmentStopsTheRunCleanly() throws {
        let scratch = ScratchLog()
        try scratch.fill(count: 6000, seed: 33).close()
        let names = try segments(scratch.path)
        let failing = names[names.count / 2]
        let logs = try copies(of: scratch.path, count: 3)
        defer { for log in logs { try? FileManager.default.removeItem(atPath: log) } }
        var results: [[String: Data]] = []
        for (log, workers) in zip(logs.prefix(2), [1, 4]) {
            let rewriting = Locked(false)
            let path = log + "/" + failing
            let progress: (Compactor.Progress) -> Void = { progress in
                if progress.phase == .mapping && progress.bytesDone == progress.bytesTotal {
                    rewriting.withLock { $0 = true }
                }
            }
            let injector: FaultInjection.Injector = { operation, file in
                operation == .map && file == path && rewriting.withLock { $0 } ? EIO : nil
            }
            do {
                _ = try FaultInjection.withInjector(injector) { () throws(EventLogError) in
                    try Compactor.compact(directory: log, options: options(workers: workers), progress: progress)
                }
                Issue.record("compaction succeeded although mapping \(failing) failed")
            } catch {
                #expect(error.message.contains(failing))
            }
            results.append(try contents(log))
            #expect(results.last!.keys.allSatisfy { !$0.hasSuffix(".cleaned") && !$0.hasSuffix(".swap") })
        }
        #expect(results[1] == results[0])
        // Run again without the fault, it leaves the records a clean run does.
        for log in logs.prefix(2) { _ = try Compactor.compact(directory: log, options: options(workers: 4)) }
        _ = try Compactor.compact(directory: logs[2], options: options(workers: 1))
        let clean = try records(logs[2])
        #expect(clean.count > 0)
        #expect(try records(logs[0]) == clean)
        #expect(try records(logs[1]) == clean)
    }

    private func records(_ path: String) throws -> [ModelRecord] {
        var options = EventLogOptions()
        options.readOnly = true
        let log = try EventLog(path: path, options: options)
        defer { try? log.close() }
        return try readBack(log)
    }
}

/// Flips one bit pattern of the byte at `offset` in the file at `path`.
private func flipByte(at offset: UInt64, of path: String) {
    guard let file = try? FileHandle(forUpdating: URL(fileURLWithPath: path)) else { return }
    defer { try? file.close() }
    try? file.seek(toOffset: offset)
    guard let byte = try? file.read(upToCount: 1)?.first else { return }
    try? file.seek(toOffset: offset)
    try? file.write(contentsOf: [byte ^ 0x21])
}
