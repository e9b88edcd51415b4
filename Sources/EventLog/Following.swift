// SPDX-License-Identifier: Apache-2.0
// Following a log from async code: `for try await record in
// cursor.following`. Records already written are read at once; waiting for
// new ones suspends the task without holding a thread of the cooperative
// pool (the log's PublishWaiter sleeps for every follower on one thread),
// so any number of idle followers leave the pool to other tasks.
package import EventLogStorage

extension Cursor {
    /// Follows the log in near real time: the records from the cursor's
    /// position on, waiting for new ones as they are written. The sequence
    /// ends when the reading task is cancelled (promptly, also mid-wait) and
    /// throws the cursor's errors, and `notFound` if the log's directory is
    /// removed while it waits.
    public var following: FollowingRecords { FollowingRecords(cursor: self) }
}

/// The records of a cursor as they are written: `for try await record in
/// cursor.following`. Its failure type is `EventLogError`, so the error
/// caught around the loop has a `code`.
public struct FollowingRecords: AsyncSequence {
    public typealias Element = Record
    public typealias Failure = EventLogError
    let cursor: Cursor

    public func makeAsyncIterator() -> Iterator { Iterator(cursor: cursor) }

    public struct Iterator: AsyncIteratorProtocol {
        public typealias Element = Record
        public typealias Failure = EventLogError
        let cursor: Cursor

        /// The typed-throws entry point that `for try await` calls (Swift 6).
        public mutating func next() async throws(EventLogError) -> Record? {
            try await next(isolation: nil)
        }

        /// The typed-throws entry point that `for try await` calls (Swift 6):
        /// it runs on the caller's actor, so the cursor never crosses one.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(EventLogError) -> Record? {
            while !Task.isCancelled {
                // The publish sequence before a read that finds nothing, so
                // that the wait after it cannot miss a publish in between.
                let seen = cursor.directory.state.snapshot().sequence
                if let record = try cursor.next() { return record }
                switch await cursor.directory.publishWaiter.wait(after: seen) {
                case .published: continue
                case .cancelled: return nil
                case .directoryGone:
                    throw EventLogError(
                        .notFound,
                        "\(cursor.directory.state.directory): the log directory was removed or replaced while waiting")
                }
            }
            return nil
        }
    }
}
