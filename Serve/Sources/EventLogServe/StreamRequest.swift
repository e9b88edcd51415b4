// SPDX-License-Identifier: Apache-2.0
// Where a stream starts and how it is encoded, from the query string:
// from=OFFSET|oldest|latest, from_time=MS, cursor=NAME, format=json|binary.
// Without from, a named cursor resumes where it was committed and a plain
// stream starts at the end (live records only).
import EventLog

struct StreamRequest: Sendable {
    enum Start: Sendable, Equatable {
        case offset(UInt64)
        case oldest
        case latest
    }

    var start: Start?
    /// What set `start`, for messages: "from=N" or "Last-Event-ID N".
    var startNamed = ""
    var fromTime: Int64?
    var cursorName: String?
    var format = RecordFormatKind.json

    init(query: [String: String], lastEventID: String? = nil) throws(RequestError) {
        if let from = query["from"] {
            switch from {
            case "oldest": start = .oldest
            case "latest": start = .latest
            default:
                guard let offset = UInt64(from), offset <= UInt64(Int64.max) else {
                    throw RequestError("from: expected an offset, oldest or latest, got '\(from)'")
                }
                start = .offset(offset)
            }
            startNamed = "from=\(from)"
        }
        if let id = lastEventID, !id.isEmpty {
            // The last event seen: resume after it.
            guard let offset = UInt64(id), offset < UInt64(Int64.max) else {
                throw RequestError("Last-Event-ID: expected an offset, got '\(id)'")
            }
            start = .offset(offset + 1)
            startNamed = "Last-Event-ID \(id)"
        }
        if let time = query["from_time"] {
            guard let ms = Int64(time) else {
                throw RequestError("from_time: expected milliseconds since the epoch, got '\(time)'")
            }
            fromTime = ms
        }
        if let name = query["cursor"] {
            guard !name.isEmpty, name.utf8.count <= 255,
                name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") })
            else { throw RequestError("cursor: a name of 1 to 255 printable ASCII characters without '/'") }
            cursorName = name
        }
        if let format = query["format"] {
            guard let kind = RecordFormatKind(rawValue: format) else {
                throw RequestError("format: expected json or binary, got '\(format)'")
            }
            self.format = kind
        }
    }

    var startPosition: EventLog.Position {
        switch start {
        case .offset(let offset): .offset(offset)
        case .oldest: .oldest
        case .latest, nil: .latest
        }
    }

    /// A cursor positioned where the client asked and, when `from` names an
    /// offset that retention or compaction removed, the offset it starts at
    /// instead: the log's first. The library refuses a seek before the first
    /// segment, which a client resuming after its last record cannot know
    /// of; the stream goes on from the oldest record and says so.
    func opened(on log: EventLog) throws(EventLogError) -> (cursor: Cursor, movedTo: UInt64?) {
        let cursor: Cursor
        var movedTo: UInt64?
        if let cursorName {
            cursor = try log.cursor(named: cursorName, startingAt: start == nil ? .oldest : startPosition)
            // An explicit from overrides the committed position.
            if start != nil { movedTo = try Self.seek(cursor, to: startPosition) }
        } else {
            cursor = try log.cursor(from: .oldest)
            movedTo = try Self.seek(cursor, to: startPosition)
        }
        if let fromTime { try cursor.seek(to: .time(sinceEpoch: .milliseconds(fromTime))) }
        return (cursor, movedTo)
    }

    /// Seeks `cursor` to `position`, or to the oldest record when the
    /// position lies before it; returns where it went in that case.
    static func seek(_ cursor: Cursor, to position: EventLog.Position) throws(EventLogError) -> UInt64? {
        do {
            try cursor.seek(to: position)
            return nil
        } catch  where error.code == .outOfRange {
            guard case .offset = position else { throw error }
            try cursor.seek(to: .oldest)
            return cursor.offset
        }
    }
}
