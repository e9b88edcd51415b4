// SPDX-License-Identifier: Apache-2.0
// A seam for tests: lets a test make chosen system calls fail (ENOSPC, EIO)
// to check that errors surface cleanly and nothing written is lost. In
// production no injector is installed and each check is one atomic load.
// Tests run in parallel in one process, so besides the one injector that
// `install` sets, any number can be active at once through `withInjector`;
// every active injector is asked, and each should fail only its own paths.
import Glibc
import Synchronization

package enum FaultInjection {
    package enum Operation: Sendable { case open, stat, lock, truncate, allocate, sync, write, map, rename, remove }

    /// Returns an errno value to fail the operation on `path` with, or nil.
    package typealias Injector = @Sendable (Operation, String) -> Int32?

    private struct Injectors {
        var installed: Injector?
        var scoped: [(id: UInt64, injector: Injector)] = []
        var all: [Injector] { (installed.map { [$0] } ?? []) + scoped.map(\.injector) }
    }

    /// Guarded by `lock`, a pthread mutex rather than Synchronization's
    /// Mutex: ThreadSanitizer, which runs the concurrency suites, does not
    /// model Mutex's futex and reports races that are not there.
    nonisolated(unsafe) private static var injectors = Injectors()
    private static let lock = Lock()
    private static let active = Atomic<Bool>(false)
    private static let nextID = Atomic<UInt64>(0)

    /// Sets (or, with nil, clears) the injector of `install`.
    package static func install(_ newInjector: Injector?) {
        lock.withLock {
            injectors.installed = newInjector
            active.store(!injectors.all.isEmpty, ordering: .releasing)
        }
    }

    /// Runs `body` with `injector` active beside any others.
    package static func withInjector<R, E: Error>(_ injector: @escaping Injector, _ body: () throws(E) -> R) throws(E)
        -> R
    {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        lock.withLock {
            injectors.scoped.append((id, injector))
            active.store(true, ordering: .releasing)
        }
        defer {
            lock.withLock {
                injectors.scoped.removeAll { $0.id == id }
                active.store(!injectors.all.isEmpty, ordering: .releasing)
            }
        }
        return try body()
    }

    @inline(__always)
    static func check(_ operation: Operation, _ path: String) throws(EventLogError) {
        guard active.load(ordering: .acquiring) else { return }
        for injector in lock.withLock({ injectors.all }) {
            if let err = injector(operation, path) { throw .system("\(operation)", path: path, errno: err) }
        }
    }
}
