// SPDX-License-Identifier: Apache-2.0
// A value shared by test threads behind an NSLock. Not Synchronization's
// Mutex: ThreadSanitizer, which runs the concurrency suites, does not model
// Mutex's futex and reports races that are not there.
import Foundation

public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
