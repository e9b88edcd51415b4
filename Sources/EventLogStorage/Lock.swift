// SPDX-License-Identifier: Apache-2.0
// A mutex with a condition variable, over pthreads. Swift's Mutex has no
// condition variable, and the writer needs one to sleep until a batch is due
// (linger) or a flush is requested; ThreadSanitizer also understands pthread
// primitives, which keeps race checking of the tests meaningful.
import Glibc

package final class Lock: @unchecked Sendable {
    fileprivate let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition: Condition

    package init() {
        pthread_mutex_init(mutex, nil)
        condition = Condition(mutex: mutex)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func lock() { pthread_mutex_lock(mutex) }
    package func unlock() { pthread_mutex_unlock(mutex) }

    @inline(__always)
    package func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (the lock held) until signalled or until the monotonic clock
    /// reaches `deadline` nanoseconds (nil: no deadline). Spurious wake-ups
    /// happen: callers re-check their condition in a loop.
    package func wait(untilNanoseconds deadline: UInt64?) { condition.wait(untilNanoseconds: deadline) }

    package func broadcast() { condition.broadcast() }

    /// Another condition variable on this lock, for waiters that the lock's
    /// own broadcasts should not wake.
    package func makeCondition() -> Condition { Condition(mutex: mutex, owner: self) }
}

/// A condition variable used with one Lock's mutex.
package final class Condition: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Keeps the mutex alive as long as the condition.
    private let owner: Lock?

    fileprivate init(mutex: UnsafeMutablePointer<pthread_mutex_t>, owner: Lock? = nil) {
        self.mutex = mutex
        self.owner = owner
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Waits (the lock held) until signalled or until the monotonic clock
    /// reaches `deadline` nanoseconds (nil: no deadline).
    package func wait(untilNanoseconds deadline: UInt64?) {
        guard let deadline else {
            pthread_cond_wait(condition, mutex)
            return
        }
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        pthread_cond_timedwait(condition, mutex, &ts)
    }

    package func signal() { pthread_cond_signal(condition) }
    package func broadcast() { pthread_cond_broadcast(condition) }
}

/// CLOCK_MONOTONIC in nanoseconds.
@inline(__always)
package func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Wall-clock milliseconds since the Unix epoch (record timestamps).
@inline(__always)
package func wallClockMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
