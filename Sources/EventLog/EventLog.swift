// SPDX-License-Identifier: Apache-2.0
// An open log directory: appends, flush and sync, offsets, and cursors.
// Thread-safe: one EventLog may be shared by threads for appending, syncing
// and opening cursors.
internal import EventLogFormat
package import EventLogStorage
import Synchronization

/// An open log directory: append records, flush and sync them, and open
/// cursors. One writable instance per directory across processes; any
/// number of read-only ones. Static methods maintain a log directory
/// without opening it (compaction, retention, verify, recover, inspection).
public final class EventLog: @unchecked Sendable {
    /// The library version, as the C API's eventlog_version() reports it.
    public static let version = String(describing: versionText)
    /// The one definition of the version; static text so that the C API can
    /// hand out a pointer to it.
    package static let versionText: StaticString = "0.1.0"

    public let path: String
    let directory: LogDirectory
    /// Checked by every call, so an atomic rather than a lock: a lock taken
    /// and released around each one-record append cost 6% of it.
    private let closed = Atomic<Bool>(false)
    private var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Opens (creating unless read-only) the log in directory `path`. The
    /// one way to open a log; a writable open takes the directory's writer
    /// lock until ``close()`` (a second writer gets `.busy`).
    public init(path: String, options: EventLogOptions = EventLogOptions()) throws(EventLogError) {
        self.path = path
        self.directory = try LogDirectory.open(path: path, configuration: try options.configuration())
    }

    deinit { try? close() }

    public var isReadOnly: Bool { directory.writer == nil }

    /// The first offset present.
    public var startOffset: UInt64 { UInt64(directory.startOffset) }

    /// The next offset to be assigned, counting records not yet written.
    public var endOffset: UInt64 { UInt64(directory.endOffset) }

    // MARK: Appending

    /// Appends one record with a key and returns its offset. Key and value
    /// are any ``RecordBytes`` (`String`, `[UInt8]`, `UnsafeRawBufferPointer`,
    /// `Data` with EventLogFoundation, ...), lent to the writer without a
    /// copy. A `timestamp` of 0 (milliseconds since the epoch) means now.
    @discardableResult
    public func append(
        key: some RecordBytes, value: some RecordBytes, headers: [Header] = [], timestamp: Int64 = 0
    ) throws(EventLogError) -> UInt64 {
        try key.withUnsafeRecordBytes { (key) throws(EventLogError) in
            try value.withUnsafeRecordBytes { (value) throws(EventLogError) in
                try appendOne(key: key, value: value, headers: headers, timestamp: timestamp)
            }
        }
    }

    /// Appends one record without a key and returns its offset.
    @discardableResult
    public func append(_ value: some RecordBytes, headers: [Header] = [], timestamp: Int64 = 0)
        throws(EventLogError) -> UInt64
    {
        try value.withUnsafeRecordBytes { (value) throws(EventLogError) in
            try appendOne(key: nil, value: value, headers: headers, timestamp: timestamp)
        }
    }

    /// Appends a tombstone for `key` (a record without a value: compaction
    /// deletes the key) and returns its offset.
    @discardableResult
    public func appendTombstone(key: some RecordBytes, headers: [Header] = [], timestamp: Int64 = 0)
        throws(EventLogError) -> UInt64
    {
        try key.withUnsafeRecordBytes { (key) throws(EventLogError) in
            try appendOne(key: key, value: nil, headers: headers, timestamp: timestamp)
        }
    }

    /// Appends one record whose key or value may be absent (nil value: a
    /// tombstone) and returns its offset.
    @discardableResult
    public func append(key: [UInt8]?, value: [UInt8]?, headers: [Header] = [], timestamp: Int64 = 0)
        throws(EventLogError) -> UInt64
    {
        try append(contentsOf: CollectionOfOne(Record(timestamp: timestamp, key: key, value: value, headers: headers)))
    }

    /// Appends one record (its offset field is ignored) and returns its offset.
    @discardableResult
    public func append(_ record: Record) throws(EventLogError) -> UInt64 {
        try append(contentsOf: CollectionOfOne(record))
    }

    private func appendOne(
        key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: [Header], timestamp: Int64
    ) throws(EventLogError) -> UInt64 {
        if !headers.isEmpty {
            // Headers are few and small: staged with the record's bytes.
            let record = Record(
                timestamp: timestamp, key: key.map { Array($0) }, value: value.map { Array($0) }, headers: headers)
            return try append(record)
        }
        let none = UnsafeBufferPointer<HeaderBytes>(start: nil, count: 0)
        return try appendRaw(count: 1) { _ in RawRecord(timestamp: timestamp, key: key, value: value, headers: none) }
    }

    /// Appends records with consecutive offsets; returns the first offset.
    @discardableResult
    public func append<C: Collection>(contentsOf records: C) throws(EventLogError) -> UInt64 where C.Element == Record {
        let staged = StagedRecords(records)
        return try appendRaw(count: staged.raws.count) { staged.raws[$0] }
    }

    /// Appends `count` records given as borrowed bytes (the bytes are copied
    /// before the call returns); returns the first offset. For bindings
    /// such as the C API that already hold the records in memory.
    package func appendRaw(count: Int, _ record: (Int) -> RawRecord) throws(EventLogError) -> UInt64 {
        let writer = try writable()
        return UInt64(try writer.append(count: count, record))
    }

    /// Writes the producer batch: everything appended so far becomes visible
    /// to cursors, here and in other processes.
    public func flush() throws(EventLogError) { try writable().flush() }

    /// Flushes, then makes everything appended so far durable on disk.
    /// Concurrent callers share one disk flush.
    public func sync() throws(EventLogError) { try writable().sync() }

    private func writable() throws(EventLogError) -> LogWriter {
        guard let writer = directory.writer else {
            throw EventLogError(.readOnly, "\(path): the log is open read-only")
        }
        if isClosed { throw EventLogError(.closed, "\(path): the log is closed") }
        return writer
    }

    // MARK: Reading

    /// A cursor whose next record is the first at `position`: `.oldest`
    /// (the default), `.latest`, `.offset(n)` or `.time(sinceEpoch:)`.
    public func cursor(from position: Position = .oldest) throws(EventLogError) -> Cursor {
        if isClosed { throw EventLogError(.closed, "\(path): the log is closed") }
        return try Cursor(directory: directory, position: position)
    }

    /// The named cursor `name`: resumes after its last committed position,
    /// or starts at `position` if it was never committed. A committed
    /// position that retention removed resumes at the oldest offset.
    public func cursor(named name: String, startingAt position: Position = .oldest) throws(EventLogError) -> Cursor {
        if isClosed { throw EventLogError(.closed, "\(path): the log is closed") }
        try CursorStore.validate(name: name)
        CursorStore.removeAbandonedTemporaries(directory: directory.state.directory)
        guard let stored = try CursorStore.load(directory: directory.state.directory, name: name) else {
            return try Cursor(directory: directory, position: position, name: name)
        }
        do {
            return try Cursor(directory: directory, position: .offset(UInt64(stored.nextOffset)), name: name)
        } catch  where error.code == .outOfRange {
            // Retention deleted the stored position, before or while the
            // cursor opened.
            return try Cursor(directory: directory, position: .oldest, name: name)
        }
    }

    /// Every named cursor stored in the log directory `path`.
    public static func namedCursors(at path: String) throws(EventLogError) -> [CursorPosition] {
        try LogPresence.require(directory: path)
        return try CursorStore.list(directory: path)
    }

    /// Deletes the stored position of the named cursor `name` in `path`.
    public static func deleteNamedCursor(_ name: String, at path: String) throws(EventLogError) {
        try LogPresence.require(directory: path)
        try CursorStore.delete(directory: path, name: name)
    }

    // MARK: Closing

    /// Writes what is waiting, syncs unless the sync mode is none, and
    /// releases the directory. Later calls do nothing; cursors still open
    /// report `closed`.
    public func close() throws(EventLogError) {
        let wasClosed = closed.exchange(true, ordering: .acquiringAndReleasing)
        if !wasClosed { try directory.close() }
    }
}

/// Copies of Swift records' bytes in one allocation, so that a whole batch of
/// records can be handed to the writer as borrowed buffers at once.
private struct StagedRecords: ~Copyable {
    private let bytes: UnsafeMutableRawBufferPointer
    private let headers: UnsafeMutableBufferPointer<HeaderBytes>
    /// The records, borrowing `bytes` and `headers`.
    private(set) var raws: [RawRecord] = []

    init<C: Collection>(_ records: C) where C.Element == Record {
        var byteCount = 0
        var headerCount = 0
        for record in records {
            byteCount += (record.key?.count ?? 0) + (record.value?.count ?? 0)
            for header in record.headers { byteCount += header.key.utf8.count + (header.value?.count ?? 0) }
            headerCount += record.headers.count
        }
        bytes = .allocate(byteCount: max(byteCount, 1), alignment: 8)
        headers = .allocate(capacity: max(headerCount, 1))
        var at = 0
        var headerAt = 0
        func stage<S: Sequence>(_ source: S?) -> UnsafeRawBufferPointer? where S.Element == UInt8 {
            guard let source else { return nil }
            let start = at
            for byte in source {
                bytes[at] = byte
                at += 1
            }
            return UnsafeRawBufferPointer(rebasing: bytes[start..<at])
        }
        raws.reserveCapacity(records.count)
        for record in records {
            let firstHeader = headerAt
            for header in record.headers {
                headers[headerAt] = HeaderBytes(key: stage(header.key.utf8)!, value: stage(header.value))
                headerAt += 1
            }
            let key = stage(record.key)
            let value = stage(record.value)
            raws.append(
                RawRecord(
                    timestamp: record.timestamp, key: key, value: value,
                    headers: UnsafeBufferPointer(rebasing: headers[firstHeader..<headerAt]),
                    timestampIsExact: record.timestampIsExact))
        }
    }

    deinit {
        bytes.deallocate()
        headers.deallocate()
    }
}
