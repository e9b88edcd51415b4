// SPDX-License-Identifier: Apache-2.0
// A position in the log that reads forward, by offset or by time, and can
// wait for records not yet written. As a Sequence it replays from where it
// stands to the current end of the log. Not thread-safe: a cursor belongs to
// one thread at a time.
package import EventLogFormat
package import EventLogStorage

public final class Cursor: Sequence, IteratorProtocol {
    private let cursor: LogCursor
    private let directory: LogDirectory
    /// The name of a named cursor, nil for a plain one.
    public let name: String?
    /// The error that ended iteration as a Sequence, if any.
    public private(set) var error: EventLogError?

    init(directory: LogDirectory, offset: UInt64, name: String? = nil) throws(EventLogError) {
        self.directory = directory
        self.name = name
        cursor = try LogCursor(
            state: directory.state, endOffset: { directory.endOffset }, offset: Self.storageOffset(offset))
    }

    static func storageOffset(_ offset: UInt64) -> Int64 {
        switch offset {
        case EventLog.latest: LogCursor.latest
        case EventLog.oldest: LogCursor.oldest
        default: Int64(clamping: Swift.min(offset, UInt64(LogCursor.oldest - 1)))
        }
    }

    var interruption: CursorInterruption { cursor.interruption }

    /// The publish sequence now: read before a read that finds nothing, so
    /// that a wait after it cannot miss a publish in between.
    var publishSequence: UInt64 { directory.state.snapshot().sequence }

    var publishWaiter: PublishWaiter { directory.publishWaiter }

    var directoryPath: String { directory.state.directory }

    /// The offset of the next record it returns.
    public var offset: UInt64 { UInt64(cursor.nextOffset) }

    /// Positions the cursor so that the next record is the first with an
    /// offset >= `offset`. `EventLog.oldest` and `EventLog.latest` allowed.
    public func seek(to offset: UInt64) throws(EventLogError) {
        try cursor.seek(to: Self.storageOffset(offset))
    }

    /// Positions the cursor at the first record whose timestamp (ms since the
    /// epoch) is >= `timestamp`, or at the end.
    public func seek(toTimestamp timestamp: Int64) throws(EventLogError) {
        try cursor.seek(toTimestamp: timestamp)
    }

    /// The next record, waiting up to `timeoutMilliseconds` (0: not at all,
    /// negative: forever) for one to be written; nil if none came.
    public func next(timeoutMilliseconds: Int) throws(EventLogError) -> Record? {
        // One record at a time: the storage cursor holds the decoded batch.
        try cursor.withNextRecord(timeoutMilliseconds: timeoutMilliseconds) { Record(view: $0, headers: $1) }
    }

    /// Named cursors: stores the position (after the last record returned)
    /// crash-safely, so the cursor reopened under the same name resumes there.
    public func commit() throws(EventLogError) {
        guard let name else { throw EventLogError(.invalidArgument, "cur: not a named cursor") }
        try CursorStore.store(
            directory: directory.state.directory, name: name, nextOffset: Int64(offset),
            mode: directory.configuration.fileMode)
    }

    /// Sequence iteration: the next record already written, or nil at the end
    /// of the log or on an error (then in `error`).
    public func next() -> Record? {
        do { return try next(timeoutMilliseconds: 0) } catch {
            self.error = error
            return nil
        }
    }

    /// Reads up to `maxCount` records, waiting up to `timeoutMilliseconds` for
    /// the first, and lends them to `body` as views into the log's buffers:
    /// valid until the next call on this cursor. For bindings (the C API).
    package func withNextRecords<R>(
        maxCount: Int, timeoutMilliseconds: Int,
        _ body: (UnsafeBufferPointer<RecordView>, UnsafeBufferPointer<HeaderView>) -> R
    ) throws(EventLogError) -> R {
        _ = try cursor.read(maxCount: maxCount, timeoutMilliseconds: timeoutMilliseconds)
        return cursor.records.withUnsafeBufferPointer { records in
            cursor.headers.withUnsafeBufferPointer { headers in body(records, headers) }
        }
    }
}

extension Record {
    init(view: RecordView, headers: [HeaderView]) {
        self.init(
            offset: UInt64(view.offset), timestamp: view.timestamp,
            key: view.key.map { Array($0) }, value: view.value.map { Array($0) },
            headers: headers[view.headerStart..<view.headerStart + view.headerCount].map {
                Header(key: String(decoding: $0.key, as: UTF8.self), value: $0.value.map { Array($0) })
            })
    }
}
