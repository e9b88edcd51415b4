// SPDX-License-Identifier: Apache-2.0
// Following the log in near real time inside the writer's process: waiting
// cursors wake when a batch is written and end a wait at its timeout; named
// cursors resume after their last commit; concurrent syncs share disk flushes.
import EventLog
import EventLogStorage
import Foundation
import Synchronization
import Testing

@Suite(.serialized) struct StreamingTests {
    @Test func waitingCursorWakesWhenABatchIsWritten() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let cursor = try log.cursor(from: .latest)
        let writer = Thread {
            for i in 0..<1000 {
                _ = try? log.append(key: nil, value: Array("event-\(i)".utf8))
                if i % 100 == 99 { try? log.flush() }
            }
        }
        writer.start()
        var received: [UInt64] = []
        while received.count < 1000, let record = try cursor.next(timeout: .milliseconds(5000)) {
            received.append(record.offset)
        }
        #expect(received == Array(0..<1000))
    }

    /// A wait with nothing to read ends with nil at its timeout, not
    /// before: the contract of `next(timeout:)`. How little CPU
    /// the wait uses is measured by the benchmark (idle reader CPU), not
    /// asserted here.
    @Test func aWaitWithNothingToReadEndsAtItsTimeout() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let cursor = try log.cursor(from: .latest)
        let start = DispatchTime.now().uptimeNanoseconds
        #expect(try cursor.next(timeout: .milliseconds(200)) == nil)
        #expect(DispatchTime.now().uptimeNanoseconds - start >= 200_000_000)
    }

    @Test func cancellingAFollowingTaskEndsItsWaitPromptly() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let cursor = try log.cursor(from: .latest)
        let box = UncheckedBox(cursor)
        let task = Task.detached { () -> Int in
            var count = 0
            for try await _ in box.value.following { count += 1 }
            return count
        }
        // Give the task time to start waiting; if it has not yet, the test
        // only checks a cancellation before the wait, and still passes.
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        // Should the cancellation not end the wait, a record appended later
        // does, and the count says so: a failure, not a hung suite. How fast
        // a wait ends is a figure for bench/, not an assertion here.
        let watchdog = Task.detached {
            try await Task.sleep(for: .seconds(30))
            try log.append(key: nil, value: [1])
            try log.flush()
        }
        let count = try await task.value
        watchdog.cancel()
        #expect(count == 0)
    }

    @Test func followingSequenceDeliversNewRecords() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let box = UncheckedBox(try log.cursor(from: .latest))
        let reader = Task.detached { () -> [UInt64] in
            var offsets: [UInt64] = []
            for try await record in box.value.following {
                offsets.append(record.offset)
                if offsets.count == 50 { break }
            }
            return offsets
        }
        for i in 0..<50 { try log.append(key: nil, value: [UInt8(i)]) }
        try log.flush()
        #expect(try await reader.value == Array(0..<50))
    }

    @Test func secondWriterInTheSameProcessIsBusy() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        #expect {
            _ = try EventLog(path: dir.child("log"))
        } throws: { error in
            guard let error = error as? EventLogError else { return false }
            return error.code == .busy && error.message.contains("\(getpid())")
        }
        var readOnly = EventLogOptions()
        readOnly.readOnly = true
        _ = try EventLog(path: dir.child("log"), options: readOnly)
        try log.close()
        // The lock went with the handle.
        _ = try EventLog(path: dir.child("log"))
    }

    /// A process spawned by another thread shares every open file of this
    /// one until its exec; the writer lock must still be free the moment a
    /// recover or a writable open gives it up.
    @Test func lockIsFreeAtOnceWhileAnotherThreadSpawnsProcesses() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try EventLog(path: path).close()
        let spawner = Thread {
            for _ in 0..<150 { Self.runTrue() }
        }
        spawner.start()
        var rounds = 0
        var busy: [String] = []
        while !spawner.isFinished {
            rounds += 1
            do {
                _ = try EventLog.recover(at: path)
                try EventLog(path: path).close()
            } catch {
                busy.append("\(error)")
            }
        }
        let failed = busy.count
        #expect(failed == 0, "\(failed) of \(rounds) rounds failed: \(busy.prefix(2))")
    }

    private static func runTrue() {
        var child: pid_t = 0
        let program = strdup("/bin/true")
        defer { free(program) }
        let argv: [UnsafeMutablePointer<CChar>?] = [program, nil]
        if posix_spawn(&child, "/bin/true", nil, nil, argv, environ) == 0 { waitpid(child, nil, 0) }
    }

    @Test func namedCursorResumesAfterItsLastCommit() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        for i in 0..<100 { try log.append(key: nil, value: [UInt8(i)]) }
        try log.flush()
        do {
            let cursor = try log.cursor(named: "billing", startingAt: 10)
            #expect(try cursor.next()?.offset == 10)
            for _ in 0..<19 { _ = try cursor.next() }
            try cursor.commit()  // position 30
            _ = try cursor.next()  // read, not committed
        }
        let resumed = try log.cursor(named: "billing", startingAt: 0)
        #expect(try resumed.next()?.offset == 30)
        #expect(try EventLog.namedCursors(at: dir.child("log")).map(\.nextOffset) == [30])
        #expect(throws: EventLogError.self) { _ = try log.cursor(named: "../escape") }
        #expect(throws: EventLogError.self) { _ = try log.cursor(named: "") }
        #expect(throws: EventLogError.self) { _ = try log.cursor(named: "/abs") }
    }

    @Test func concurrentSyncsShareDiskFlushes() throws {
        let dir = TemporaryDirectory()
        let syncs = Atomic<Int>(0)
        FaultInjection.install { operation, path in
            if operation == .sync && path.hasSuffix(".log") { syncs.add(1, ordering: .relaxed) }
            return nil
        }
        defer { FaultInjection.install(nil) }
        let log = try EventLog(path: dir.child("log"))
        let perThread = 200
        let threads = 8
        let done = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        for t in 0..<threads {
            Thread {
                for i in 0..<perThread {
                    do {
                        try log.append(key: Array("t\(t)".utf8), value: Array("\(i)".utf8))
                        try log.sync()
                    } catch { failures.add(1, ordering: .relaxed) }
                }
                done.add(1, ordering: .releasing)
            }.start()
        }
        while done.load(ordering: .acquiring) < threads { usleep(1000) }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(log.endOffset == UInt64(threads * perThread))
        // Every sync returned after its record was durable, yet the callers
        // shared flushes: fewer fdatasyncs than sync calls.
        let flushes = syncs.load(ordering: .relaxed)
        #expect(flushes > 0 && flushes < threads * perThread, "\(flushes) fdatasyncs for \(threads * perThread) syncs")
    }
}

/// Hands a non-Sendable cursor to one other task (which then owns it).
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
