// SPDX-License-Identifier: Apache-2.0
// C API: cursors. Records handed out point into the cursor's buffers and the
// mapped segment files; the CursorHandle keeps them (and the header structs)
// alive until the next call on the cursor or its close.
import CEventLogHeader
internal import EventLog
internal import EventLogFormat

@c(eventlog_cursor_open)
public func eventlogCursorOpen(_ log: OpaquePointer?, _ offset: UInt64, _ out: UnsafeMutablePointer<OpaquePointer?>?)
    -> CInt
{
    newHandle(out) { () throws(EventLogError) in
        let handle = Handle.log(try nonNull(log, "log"))
        return CursorHandle(cursor: try handle.cursor(from: EventLog.Position(cOffset: offset)), log: handle)
    }
}

@c(eventlog_cursor_open_named)
public func eventlogCursorOpenNamed(
    _ log: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ offsetIfNew: UInt64,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> CInt {
    newHandle(out) { () throws(EventLogError) in
        let handle = Handle.log(try nonNull(log, "log"))
        let cursorName = String(cString: try nonNull(name, "name"))
        let position = EventLog.Position(cOffset: offsetIfNew)
        return CursorHandle(cursor: try handle.cursor(named: cursorName, startingAt: position), log: handle)
    }
}

@c(eventlog_cursor_commit)
public func eventlogCursorCommit(_ cursor: OpaquePointer?) -> CInt {
    guard let cursor else { return invalid("cur: NULL") }
    return guarded { () throws(EventLogError) in try Handle.cursor(cursor).cursor.commit() }
}

@c(eventlog_cursor_seek)
public func eventlogCursorSeek(_ cursor: OpaquePointer?, _ offset: UInt64) -> CInt {
    guard let cursor else { return invalid("cur: NULL") }
    return guarded { () throws(EventLogError) in
        try Handle.cursor(cursor).cursor.seek(to: EventLog.Position(cOffset: offset))
    }
}

@c(eventlog_cursor_seek_time)
public func eventlogCursorSeekTime(_ cursor: OpaquePointer?, _ timestamp: Int64) -> CInt {
    guard let cursor else { return invalid("cur: NULL") }
    return guarded { () throws(EventLogError) in
        try Handle.cursor(cursor).cursor.seek(to: .time(sinceEpoch: .milliseconds(timestamp)))
    }
}

@c(eventlog_cursor_next)
public func eventlogCursorNext(
    _ cursor: OpaquePointer?, _ timeoutMs: CInt, _ out: UnsafeMutablePointer<eventlog_record>?
) -> CInt {
    guard let out else { return invalid("out: NULL") }
    guard let cursor else { return invalid("cur: NULL") }
    guard timeoutMs >= -1 else { return invalid("timeout_ms: \(timeoutMs) (use -1 to wait forever)") }
    let handle = Handle.cursor(cursor)
    do {
        // One record straight from the batch the cursor holds: a read of
        // one through next_batch took 2,500 instructions a record where
        // reads of 1024 take 770.
        let found: Void? = try handle.cursor.withNextRecord(timeoutMilliseconds: Int(timeoutMs)) { record, headers in
            let lent = handle.headers.reserve(record.headerCount)
            for i in 0..<record.headerCount { lent[i] = eventlog_header(headers[record.headerStart + i]) }
            var view = record
            view.headerStart = 0
            out.pointee = eventlog_record(view, headers: lent)
        }
        return found == nil ? EVENTLOG_END : EVENTLOG_OK
    } catch {
        return fail(error)
    }
}

@c(eventlog_cursor_next_batch)
public func eventlogCursorNextBatch(
    _ cursor: OpaquePointer?, _ timeoutMs: CInt, _ out: UnsafeMutablePointer<eventlog_record>?, _ capacity: size_t,
    _ countOut: UnsafeMutablePointer<size_t>?
) -> CInt {
    countOut?.pointee = 0
    guard let cursor else { return invalid("cur: NULL") }
    guard let out else { return invalid("out: NULL") }
    guard let countOut else { return invalid("count_out: NULL") }
    guard capacity > 0 else { return invalid("capacity: 0") }
    guard timeoutMs >= -1 else { return invalid("timeout_ms: \(timeoutMs) (use -1 to wait forever)") }
    let handle = Handle.cursor(cursor)
    do {
        let count =
            viewsAreRecordStructs
            ? try readInPlace(handle, Int(timeoutMs), out, capacity)
            : try handle.cursor.withNextRecords(maxCount: capacity, timeoutMilliseconds: Int(timeoutMs)) {
                records, headers in
                fillRecordStructs(out, records, headers: headers, headerOut: handle.headers.reserve(headers.count))
                return records.count
            }
        countOut.pointee = count
        return count > 0 ? EVENTLOG_OK : EVENTLOG_END
    } catch {
        return fail(error)
    }
}

/// next_batch without copying twice: the cursor writes its record views
/// into `out` as they are, and only header indexes, when there are
/// headers, become pointers afterwards (with no header among the records
/// read, every `headerStart` is 0, which reads as a NULL `headers`).
private func readInPlace(
    _ handle: CursorHandle, _ timeoutMilliseconds: Int, _ out: UnsafeMutablePointer<eventlog_record>, _ capacity: Int
) throws(EventLogError) -> Int {
    let (count, headerCount) = try out.withMemoryRebound(to: RecordView.self, capacity: capacity) {
        (views) throws(EventLogError) in
        try handle.cursor.withNextRecords(
            into: UnsafeMutableBufferPointer(start: views, count: capacity), timeoutMilliseconds: timeoutMilliseconds
        ) { count, headers in
            let lent = handle.headers.reserve(headers.count)
            for i in 0..<headers.count { lent[i] = eventlog_header(headers[i]) }
            return (count, headers.count)
        }
    }
    guard headerCount > 0 else { return count }
    for i in 0..<count {
        let start = Int(bitPattern: out[i].headers)
        out[i].headers = out[i].header_count > 0 ? UnsafePointer(handle.headers.base + start) : nil
    }
    return count
}

@c(eventlog_cursor_offset)
public func eventlogCursorOffset(_ cursor: UnsafeRawPointer?) -> UInt64 {
    // UnsafeRawPointer prints as `const void *`, matching the header's const.
    guard let cursor else { return 0 }
    return Handle.cursor(OpaquePointer(cursor)).cursor.offset
}

@c(eventlog_cursor_close)
public func eventlogCursorClose(_ cursor: OpaquePointer?) {
    guard let cursor else { return }
    Unmanaged<CursorHandle>.fromOpaque(UnsafeRawPointer(cursor)).release()
}
