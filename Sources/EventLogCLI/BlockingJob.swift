// SPDX-License-Identifier: Apache-2.0
// Running an async batch job from a synchronous command: the job runs in a
// task of its own, on the cooperative pool, while the command's thread (the
// main thread, never one of the pool's) waits for its result.
internal import EventLogStorage

func waitForJob<T: Sendable>(_ job: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = JobOutcome<T>()
    Task.detached {
        do { outcome.finish(.success(try await job())) } catch { outcome.finish(.failure(error)) }
    }
    return try outcome.wait().get()
}

private final class JobOutcome<T: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var result: Result<T, any Error>?

    func finish(_ result: Result<T, any Error>) {
        lock.withLock {
            self.result = result
            lock.broadcast()
        }
    }

    func wait() -> Result<T, any Error> {
        lock.withLock {
            while result == nil { lock.wait(untilNanoseconds: nil) }
            return result!
        }
    }
}
