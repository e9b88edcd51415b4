// A seam for tests: lets a test make chosen system calls fail (ENOSPC, EIO)
// to check that errors surface cleanly and nothing written is lost. In
// production no injector is installed and each check is one atomic load.
import Glibc
import Synchronization

public enum FaultInjection {
    public enum Operation: Sendable { case open, truncate, allocate, sync, write, map, rename, remove }

    /// Returns an errno value to fail the operation on `path` with, or nil.
    public typealias Injector = @Sendable (Operation, String) -> Int32?

    private static let injector = Mutex<Injector?>(nil)
    private static let installed = Atomic<Bool>(false)

    public static func install(_ newInjector: Injector?) {
        injector.withLock { $0 = newInjector }
        installed.store(newInjector != nil, ordering: .releasing)
    }

    @inline(__always)
    static func check(_ operation: Operation, _ path: String) throws(EventLogError) {
        guard installed.load(ordering: .acquiring) else { return }
        if let err = injector.withLock({ $0 })?(operation, path) {
            throw .system("\(operation)", path: path, errno: err)
        }
    }
}
