// SPDX-License-Identifier: Apache-2.0
// Async followers do not hold threads of Swift's cooperative pool while
// they wait: with 64 idle followers on this 2-core machine the test's own
// task still runs (its sleeps return), then each follower gets the next
// record and ends when cancelled. With followers that held a thread each,
// the pool starves and this test never gets past its sleeps.
import EventLog
import Foundation
import Testing

@Suite struct FollowingTests {
    @Test func idleFollowersLeaveThePoolToOtherTasks() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let followers = 64
        // true: a follower is about to wait; false: it received a record.
        let (events, report) = AsyncStream.makeStream(of: Bool.self)
        let group = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<followers {
                    group.addTask {
                        guard let cursor = try? log.cursor(from: .latest) else { return }
                        report.yield(true)
                        do {
                            for try await _ in cursor.following { report.yield(false) }
                        } catch {}
                    }
                }
            }
        }
        var received = events.makeAsyncIterator()
        var waiting = 0
        while waiting < followers, let event = await received.next() { waiting += event ? 1 : 0 }
        #expect(waiting == followers)

        // Other work on the pool keeps going while the followers wait.
        for _ in 0..<20 { try await Task.sleep(for: .milliseconds(10)) }

        try log.append(key: nil, value: Array("news".utf8))
        try log.flush()
        var delivered = 0
        while delivered < followers, let event = await received.next() { delivered += event ? 0 : 1 }
        #expect(delivered == followers)

        group.cancel()
        await group.value
        try log.close()
    }
}
