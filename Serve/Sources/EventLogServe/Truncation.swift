// SPDX-License-Identifier: Apache-2.0
// Records a stream will never send because retention (or compaction)
// removed them: where the client asked to start, or, for a stream far
// behind, records deleted before it read them. Both the WebSocket and the
// Server-Sent Events stream then go on from the log's first record and tell
// the client what it lost, so that a gap is never silent.
import EventLog

enum Truncation {
    /// The message saying that offsets from `requested` up to `goesOnAt`
    /// are gone and the stream goes on at `goesOnAt`: a WebSocket text
    /// frame, and the data of an SSE `truncated` event.
    static func notice(requested: UInt64, goesOnAt: UInt64) -> String {
        "{\"type\":\"truncated\",\"requested\":\(requested),\"start_offset\":\(goesOnAt),"
            + "\"reason\":\"offsets before \(goesOnAt) were removed (retention or compaction)\"}"
    }

    /// Seeks `cursor` to `next` unless it is there, then calls `read`;
    /// false when retention deleted the records from `next` on before any
    /// was read. Synchronous, as is all that catches here: Swift 6.3 fails
    /// to compile a typed catch in the async stream code.
    static func readWritten(
        _ cursor: Cursor, from next: UInt64, _ read: () throws(EventLogError) -> Void
    ) throws(EventLogError) -> Bool {
        do {
            if cursor.offset != next { try cursor.seek(to: .offset(next)) }
            try read()
            return true
        } catch  where error.code == .outOfRange {
            return false
        }
    }

    /// Hands `add` the records already written while `hasRoom()`. Records
    /// retention deleted before they were read end the run: those added go
    /// out first, and the next call reports the loss.
    static func drain(
        _ cursor: Cursor, while hasRoom: () -> Bool, _ add: (Record) -> Void
    ) throws(EventLogError) {
        var added = false
        do {
            while hasRoom(), let record = try cursor.next() {
                add(record)
                added = true
            }
        } catch  where error.code == .outOfRange && added {}
    }
}
