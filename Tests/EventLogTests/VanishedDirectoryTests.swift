// SPDX-License-Identifier: Apache-2.0
// A log directory removed under a cursor that waits for records: nothing
// will ever be published there again, so the wait ends with an error
// naming the directory instead of lasting forever.
import EventLog
import Foundation
import Synchronization
import Testing

@Suite struct VanishedDirectoryTests {
    @Test func aWaitingCursorFailsWhenItsDirectoryIsRemoved() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let writer = try EventLog(path: path)
        try writer.append(key: nil, value: Array("a".utf8))
        try writer.flush()
        let reader = try EventLog(
            path: path,
            options: {
                var o = EventLogOptions(); o.readOnly = true; return o
            }())
        let outcome = Locked<EventLogError?>(nil)
        let opened = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do throws(EventLogError) {
                let cursor = try reader.cursor(from: .latest)
                opened.signal()
                _ = try cursor.next(timeout: nil)
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
        opened.wait()
        try FileManager.default.removeItem(atPath: path)
        // A bound for a hang, not a speed requirement.
        #expect(done.wait(timeout: .now() + 30) == .success)
        let error = try #require(outcome.withLock { $0 })
        #expect(error.code == .notFound)
        #expect(error.message.contains(path) && error.message.contains("removed"))
    }

    @Test func tailFollowingExitsWithAnErrorWhenTheDirectoryIsRemoved() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let writer = try EventLog(path: path)
        try writer.append(key: nil, value: Array("a".utf8))
        try writer.close()
        let tail = try CLI.start(["tail", "-f", path])
        #expect(try tail.output.nextLine(timeout: 30)?.contains("\"a\"") == true)
        try FileManager.default.removeItem(atPath: path)
        let status = try tail.waitForExit(timeout: 30)
        #expect(status != 0)
    }
}
