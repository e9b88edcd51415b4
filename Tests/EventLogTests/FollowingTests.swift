// SPDX-License-Identifier: Apache-2.0
// Async followers do not hold threads of Swift's cooperative pool while
// they wait: 64 idle followers on this 2-core machine leave other tasks
// free to run, then each gets the next record and ends when cancelled.
import EventLog
import Foundation
import Testing

@Suite struct FollowingTests {
    /// Runs `body` in a task and waits for it on this thread, up to 30 s:
    /// a hang detector (a starved pool never runs it), not a speed bound.
    private static func finishes(_ body: @escaping @Sendable () async throws -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            try? await body()
            done.signal()
        }
        return done.wait(timeout: .now() + 30) == .success
    }

    @Test func idleFollowersLeaveThePoolToOtherTasks() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let followers = 64
        let waiting = DispatchSemaphore(value: 0)
        let received = DispatchSemaphore(value: 0)
        var tasks: [Task<Void, Never>] = []
        for _ in 0..<followers {
            tasks.append(
                Task.detached {
                    guard let cursor = try? log.cursor(from: EventLog.latest) else { return }
                    waiting.signal()
                    do {
                        for try await _ in cursor.following { received.signal() }
                    } catch {}
                })
        }
        for _ in 0..<followers { #expect(waiting.wait(timeout: .now() + 30) == .success) }

        // Other work on the pool keeps going while the followers wait.
        #expect(Self.finishes { for _ in 0..<20 { try await Task.sleep(for: .milliseconds(10)) } })

        try log.append(key: nil, value: Array("news".utf8))
        try log.flush()
        for _ in 0..<followers { #expect(received.wait(timeout: .now() + 30) == .success) }

        let started = tasks
        for task in started { task.cancel() }
        #expect(Self.finishes { for task in started { await task.value } })
        try log.close()
    }
}
