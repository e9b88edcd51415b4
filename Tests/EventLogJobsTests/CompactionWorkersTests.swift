// SPDX-License-Identifier: Apache-2.0
// Compaction decodes and cleans on several threads (CompactionPass): the
// same logs compacted with one worker and with several give byte-identical
// files, and a damaged closed segment is reported the same way, naming the
// first damaged segment the pass meets, going from the newest back.
import EventLog
import EventLogStorage
import EventLogTestSupport
import Foundation
import Testing

@Suite struct CompactionWorkersTests {
    /// Segments and indexes of the log directory `path`, by name.
    private func contents(_ path: String) throws -> [String: Data] {
        try LogCopies.contents(path) { $0.hasSuffix(".log") || $0.hasSuffix(".index") || $0.hasSuffix(".timeindex") }
    }

    private func copies(of path: String, count: Int) throws -> [String] { try LogCopies.make(of: path, count: count) }

    @Test(arguments: [21 as UInt64, 22, 23])
    func oneWorkerOrManyGiveTheSameFiles(seed: UInt64) throws {
        let scratch = ScratchLog()
        try scratch.fill(count: 4000, seed: seed).close()
        let logs = try copies(of: scratch.path, count: 3)
        defer { for log in logs { try? FileManager.default.removeItem(atPath: log) } }
        var results: [[String: Data]] = []
        var stats: [Compactor.Stats] = []
        for (log, workers) in zip(logs, [1, 2, 7]) {
            var options = Compactor.Options()
            options.workers = workers
            options.now = 1_800_000_000_000
            options.deleteRetentionMilliseconds = 1
            stats.append(try Compactor.compact(directory: log, options: options))
            results.append(try contents(log))
        }
        #expect(stats[0].recordsBefore > stats[0].recordsAfter)
        #expect(results[1] == results[0])
        #expect(results[2] == results[0])
        #expect(stats.map(\.recordsAfter) == Array(repeating: stats[0].recordsAfter, count: 3))
    }

    @Test func damageIsReportedForTheNewestDamagedSegment() throws {
        let scratch = ScratchLog()
        try scratch.fill(count: 4000, seed: 24).close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasSuffix(".log") }
            .sorted()
        #expect(segments.count >= 4)
        for name in [segments[1], segments[2]] {
            let file = try FileHandle(forUpdating: URL(fileURLWithPath: scratch.path + "/" + name))
            try file.seek(toOffset: 200)
            let byte = try file.read(upToCount: 1)![0]
            try file.seek(toOffset: 200)
            try file.write(contentsOf: [byte ^ 0x21])
            try file.close()
        }
        let logs = try copies(of: scratch.path, count: 2)
        defer { for log in logs { try? FileManager.default.removeItem(atPath: log) } }
        var messages: [String] = []
        var results: [[String: Data]] = []
        for (log, workers) in zip(logs, [1, 4]) {
            var options = Compactor.Options()
            options.workers = workers
            do {
                _ = try Compactor.compact(directory: log, options: options)
                Issue.record("compaction of a damaged log succeeded with \(workers) workers")
            } catch {
                #expect(error.code == .corrupt)
                messages.append(error.message.replacingOccurrences(of: log, with: "LOG"))
            }
            results.append(try contents(log))
        }
        #expect(messages.count == 2 && messages[0] == messages[1])
        #expect(messages.first?.contains(segments[2]) == true)
        // The segments after the damage were compacted the same way; the
        // damaged ones are still there.
        #expect(results[1] == results[0])
        #expect(results[0][segments[1]] != nil && results[0][segments[2]] != nil)
    }
}
