// SPDX-License-Identifier: Apache-2.0
// C API: the stored positions of named cursors, by directory rather than
// through an open log: eventlog_cursor_list lends each to a callback
// (EventLog.namedCursors(at:)), eventlog_cursor_delete removes one
// (EventLog.deleteNamedCursor(_:at:)).
import CEventLogHeader
internal import EventLog

@c(eventlog_cursor_list)
public func eventlogCursorList(
    _ dir: UnsafePointer<CChar>?, _ visit: eventlog_cursor_visit?, _ context: UnsafeMutableRawPointer?
) -> CInt {
    walk(dir, visit) { path throws(EventLogError) in
        try EventLog.namedCursors(at: path)
    } lend: { cursor, visit in
        cursor.name.withCString { name in
            var lent = eventlog_cursor_info(
                version: UInt32(EVENTLOG_CURSOR_INFO_VERSION), name: name,
                next_offset: UInt64(max(0, cursor.nextOffset)), committed_at: cursor.committedAt)
            return visit(&lent, context)
        }
    }
}

@c(eventlog_cursor_delete)
public func eventlogCursorDelete(_ dir: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?) -> CInt {
    guard let dir else { return invalid("dir: NULL") }
    guard let name else { return invalid("name: NULL") }
    let path = String(cString: dir)
    let cursorName = String(cString: name)
    return guarded { () throws(EventLogError) in try EventLog.deleteNamedCursor(cursorName, at: path) }
}
