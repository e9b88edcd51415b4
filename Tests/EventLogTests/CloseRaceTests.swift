// SPDX-License-Identifier: Apache-2.0
// Closing a log while other threads append: every append either returns an
// offset whose record is there after reopening, or fails with `closed`; no
// offset is handed out twice.
import EventLog
import Foundation
import Testing

@Suite struct CloseRaceTests {
    /// One round: `threads` threads append one-record calls until they are
    /// refused; the closing thread waits (on a counter, not a clock) until
    /// every thread has appended at least `before` records, then closes.
    /// Returns the acknowledged offsets and what each wrote.
    private static func round(
        path: String, threads: Int, before: Int, batchMaxBytes: UInt32
    ) throws -> [UInt64: [UInt8]] {
        var options = EventLogOptions()
        options.batchMaxBytes = batchMaxBytes
        let log = try EventLog(path: path, options: options)
        // Locked with NSLock rather than Mutex: ThreadSanitizer, which runs
        // this suite, does not model Mutex's futex and reports false races.
        let acknowledged = Locked<[UInt64: [UInt8]]>([:])
        let started = Locked(0)
        let unexpected = Locked<[String]>([])
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var sequence = 0
                while true {
                    let value = Array("t\(thread)-\(sequence)".utf8)
                    do throws(EventLogError) {
                        let offset = try log.append(key: nil, value: value)
                        acknowledged.withLock { $0[offset] = value }
                    } catch {
                        if error.code != .closed { unexpected.withLock { $0.append("\(error)") } }
                        return
                    }
                    sequence += 1
                    if sequence == before { started.withLock { $0 += 1 } }
                }
            }
        }
        while started.withLock({ $0 }) < threads { sched_yield() }
        try log.close()
        group.wait()
        #expect(unexpected.withLock { $0 }.isEmpty)
        return acknowledged.withLock { $0 }
    }

    @Test(arguments: [1, 3])
    func appendsRacingCloseAreWrittenOrRefused(threads: Int) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        var expected: [UInt64: [UInt8]] = [:]
        var generator = SeededGenerator(seed: UInt64(threads))
        for _ in 0..<150 {
            // Small batches in some rounds, so that close also meets batches
            // queued or being sealed, not only the open one.
            let batchMaxBytes: UInt32 = Bool.random(using: &generator) ? 512 : 256 << 10
            let before = Int.random(in: 1...200, using: &generator)
            let acknowledged = try Self.round(
                path: path, threads: threads, before: before, batchMaxBytes: batchMaxBytes)
            for (offset, value) in acknowledged {
                #expect(expected[offset] == nil, "offset \(offset) handed out twice")
                expected[offset] = value
            }
        }
        let log = try EventLog(
            path: path,
            options: {
                var o = EventLogOptions(); o.readOnly = true; return o
            }())
        var found: [UInt64: [UInt8]] = [:]
        let cursor = try log.cursor(from: .oldest)
        while let record = try cursor.next() { found[record.offset] = record.value ?? [] }
        let missing = expected.filter { found[$0.key] != $0.value }
        #expect(missing.isEmpty, "\(missing.count) of \(expected.count) acknowledged appends lost or changed")
        #expect(found.count == expected.count, "records nobody was told about: \(found.count - expected.count)")
    }
}
