// SPDX-License-Identifier: Apache-2.0
// Waiting for the writer's next publish without blocking Swift's
// cooperative thread pool. A cursor's own wait sleeps on the head file's
// futex in the calling thread: right for C callers and plain threads, but
// an async follower doing that holds a pool thread for as long as the log
// is idle, and on a 2-core machine two idle followers starve every other
// task. Async followers register a continuation here instead; one thread
// per open log sleeps on the head file for all of them and resumes them
// when something is published, the log closes or its directory goes. The
// thread starts with the first follower and sleeps on a condition variable
// while nobody follows.
// Thread-safe; `lock` guards everything but `stopRequested`.
import Glibc
import Synchronization

package final class PublishWaiter: @unchecked Sendable {
    /// Why a wait ended.
    package enum Outcome: Sendable {
        /// The publish sequence moved (or the log closed: reading says so).
        case published
        /// The task was cancelled.
        case cancelled
        /// The log's directory was removed or replaced.
        case directoryGone
    }

    private typealias Waiter = (seen: UInt64, continuation: CheckedContinuation<Outcome, Never>)

    private let state: LogState
    private let lock = Lock()
    private var waiters: [UInt64: Waiter] = [:]
    /// Waits whose task was cancelled before they registered.
    private var cancelledEarly: Set<UInt64> = []
    private var nextID: UInt64 = 0
    private var thread: pthread_t?
    private let stopRequested = Atomic<Bool>(false)

    /// How long the thread sleeps at most before it looks at the directory.
    private static let slice: UInt64 = 200_000_000

    init(state: LogState) { self.state = state }

    /// Suspends, without holding a thread, until the publish sequence
    /// differs from `seen` (the sequence of the snapshot the caller read
    /// nothing new from), the log closes, the task is cancelled or the
    /// directory goes.
    package func wait(after seen: UInt64) async -> Outcome {
        let id = lock.withLock { () -> UInt64 in
            nextID &+= 1
            return nextID
        }
        // A cancellation that came after the wait ended left its id behind.
        defer { lock.withLock { _ = cancelledEarly.remove(id) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                register(id, seen: seen, continuation)
            }
        } onCancel: {
            let waiter = lock.withLock { () -> Waiter? in
                let waiter = waiters.removeValue(forKey: id)
                if waiter == nil { cancelledEarly.insert(id) }
                return waiter
            }
            waiter?.continuation.resume(returning: .cancelled)
        }
    }

    private func register(_ id: UInt64, seen: UInt64, _ continuation: CheckedContinuation<Outcome, Never>) {
        let immediate = lock.withLock { () -> Outcome? in
            if cancelledEarly.remove(id) != nil { return .cancelled }
            if stopRequested.load(ordering: .acquiring) || state.isClosed || state.snapshot().sequence != seen {
                return .published
            }
            waiters[id] = (seen, continuation)
            if thread == nil { thread = try? startThread { [self] in run() } }
            lock.broadcast()
            return thread == nil ? .published : nil
        }
        if let immediate {
            lock.withLock { _ = waiters.removeValue(forKey: id) }
            continuation.resume(returning: immediate)
        }
    }

    /// The thread: resumes the waiters whose sequence is out of date, then
    /// sleeps on the head file until the next publish (or a slice).
    private func run() {
        lock.lock()
        while true {
            while waiters.isEmpty && !stopRequested.load(ordering: .acquiring) { lock.wait(untilNanoseconds: nil) }
            let stopping = stopRequested.load(ordering: .acquiring) || state.isClosed
            let gone = !stopping && state.directoryIsGone
            let sequence = state.snapshot().sequence
            let ready = waiters.filter { stopping || gone || $0.value.seen != sequence }
            for id in ready.keys { waiters.removeValue(forKey: id) }
            lock.unlock()
            for waiter in ready.values { waiter.continuation.resume(returning: gone ? .directoryGone : .published) }
            if stopRequested.load(ordering: .acquiring) { return }
            if ready.isEmpty {
                _ = state.waitForPublish(after: sequence, deadline: monotonicNanoseconds() + Self.slice) {
                    stopRequested.load(ordering: .acquiring)
                }
            }
            lock.lock()
        }
    }

    /// Resumes every waiter and ends the thread (the log is closing).
    func stop() {
        let running = lock.withLock { () -> pthread_t? in
            stopRequested.store(true, ordering: .releasing)
            lock.broadcast()
            return thread
        }
        state.wakeWaiters()
        if let running { pthread_join(running, nil) }
    }
}
