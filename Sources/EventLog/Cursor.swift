// SPDX-License-Identifier: Apache-2.0
// A position in the log that reads forward, by offset or by time, and can
// wait for records not yet written. Not thread-safe: a cursor belongs to one
// thread at a time.
//
// Not a Sequence: Swift's `for-in` over a synchronous sequence cannot throw,
// so a damaged batch could only end the loop silently. Reading is
// `while let record = try cursor.next()`, `try cursor.forEach { ... }` or
// `try cursor.records()`, each of which throws the error where it happens
// (the shape of GRDB's cursors); `for try await` over `following` is the
// asynchronous form.
package import EventLogFormat
package import EventLogStorage

/// Reads a log forward from a ``EventLog/Position``: replay with ``next()``,
/// wait with ``next(timeout:)``, follow from async code with ``following``,
/// and, for a named cursor, remember the position with ``commit()``.
public final class Cursor {
    private let cursor: LogCursor
    let directory: LogDirectory
    /// The name of a named cursor, nil for a plain one.
    public let name: String?

    init(directory: LogDirectory, position: EventLog.Position, name: String? = nil) throws(EventLogError) {
        self.directory = directory
        self.name = name
        cursor = try LogCursor(
            state: directory.state, endOffset: { directory.endOffset },
            offset: position.storageOffset ?? LogCursor.oldest)
        if position.storageOffset == nil { try seek(to: position) }
    }

    /// The offset of the next record it returns.
    public var offset: UInt64 { UInt64(cursor.nextOffset) }

    /// Positions the cursor so that the next record is the first at
    /// `position`: the oldest, the latest (the end), the first with an offset
    /// at least the one given, or the first stamped at or after a time.
    public func seek(to position: EventLog.Position) throws(EventLogError) {
        switch position {
        case .time(let sinceEpoch): try cursor.seek(toTimestamp: sinceEpoch.wholeMilliseconds)
        default: try cursor.seek(to: position.storageOffset!)
        }
    }

    /// The next record already written, or nil at the current end of the
    /// log. Throws when a batch is damaged or the log was closed, and
    /// `outOfRange` when retention deleted the records it was to read next
    /// (the cursor stays; `seek(to: .oldest)` goes on).
    public func next() throws(EventLogError) -> Record? {
        try next(timeout: .zero)
    }

    /// The next record, waiting up to `timeout` for one to be written (nil:
    /// as long as it takes); nil if none came in time. Blocks the calling
    /// thread while it waits: from async code use ``following`` instead.
    public func next(timeout: Duration?) throws(EventLogError) -> Record? {
        // One record at a time: the storage cursor holds the decoded batch.
        try cursor.withNextRecord(timeoutMilliseconds: Self.milliseconds(timeout)) { Record(view: $0, headers: $1) }
    }

    /// Calls `body` with each record from here to the current end of the
    /// log, stopping at the first error (of the log or of `body`).
    public func forEach(_ body: (Record) throws(EventLogError) -> Void) throws(EventLogError) {
        while let record = try next() { try body(record) }
    }

    /// Every record from here to the current end of the log, in memory.
    public func records() throws(EventLogError) -> [Record] {
        var records: [Record] = []
        while let record = try next() { records.append(record) }
        return records
    }

    /// The storage layer's wait: 0 none, negative forever, otherwise whole
    /// milliseconds rounded up (a 0.5 ms wait still waits). A wait longer
    /// than `longestWait` is a wait without limit: the storage layer adds the
    /// wait to the monotonic clock in nanoseconds, which must not overflow.
    static func milliseconds(_ timeout: Duration?) -> Int {
        guard let timeout else { return -1 }
        guard timeout > .zero else { return 0 }
        guard timeout <= longestWait else { return -1 }
        return Int((timeout + .nanoseconds(999_999)).wholeMilliseconds)
    }

    /// Ten years.
    static let longestWait = Duration.seconds(10 * 365 * 86_400)

    /// Named cursors: stores the position (after the last record returned)
    /// crash-safely, so the cursor reopened under the same name resumes there.
    public func commit() throws(EventLogError) {
        guard let name else { throw EventLogError(.invalidArgument, "cur: not a named cursor") }
        try CursorStore.store(
            directory: directory.state.directory, name: name, nextOffset: Int64(offset),
            mode: directory.configuration.fileMode)
    }

    /// Reads the next record, waiting up to `timeoutMilliseconds` for it, and
    /// lends it to `body` as a view into the log's buffers with the headers
    /// its `headerStart` indexes, valid only inside `body`; nil if none came
    /// in time. One record without the per-call work of a read of many
    /// (the C API's eventlog_cursor_next).
    package func withNextRecord<R>(timeoutMilliseconds: Int, _ body: (RecordView, [HeaderView]) -> R)
        throws(EventLogError) -> R?
    {
        try cursor.withNextRecord(timeoutMilliseconds: timeoutMilliseconds, body)
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

    /// Reads up to `out.count` records straight into `out`, waiting up to
    /// `timeoutMilliseconds` for the first, and lends `body` how many it
    /// read and the headers their `headerStart` indexes. Views into the
    /// log's buffers, valid until the next call on this cursor; records
    /// without headers have `headerStart` 0 when no record read has any.
    /// For bindings with an array of their own (the C API): one copy.
    package func withNextRecords<R>(
        into out: UnsafeMutableBufferPointer<RecordView>, timeoutMilliseconds: Int,
        _ body: (Int, UnsafeBufferPointer<HeaderView>) -> R
    ) throws(EventLogError) -> R {
        let count = try cursor.read(into: out, timeoutMilliseconds: timeoutMilliseconds)
        return cursor.headers.withUnsafeBufferPointer { body(count, $0) }
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
