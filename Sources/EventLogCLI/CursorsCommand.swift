// SPDX-License-Identifier: Apache-2.0
// `eventlog cursors`: the named cursors' stored positions
// (EventLog.namedCursors(at:)), or deleting one (EventLog.deleteNamedCursor).
import ArgumentParser
internal import EventLog

struct CursorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cursors",
        abstract: "List the named cursors of a log, or delete one.",
        discussion: """
            A named cursor's position is the next offset it reads; lag is the log's end \
            offset minus that. Deleting a cursor makes its next use start afresh.

            Examples:
              eventlog cursors events
              eventlog cursors events --json
              eventlog cursors events --delete billing
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("Delete the named cursor.", valueName: "name"))
    var delete: String?

    func validate() throws {
        if delete != nil && json { throw ValidationError("--delete prints nothing: drop --json") }
    }

    func run() throws {
        if let name = delete { return try blaming("--delete") { try EventLog.deleteNamedCursor(name, at: directory) } }
        let log = try openForReading(directory)
        let end = log.endOffset
        let cursors = try EventLog.namedCursors(at: directory)
        printReport(
            json: json, .array(cursors.map { Self.json($0, end: end) }),
            text: cursors.isEmpty ? "no named cursors (log end \(end))\n" : Self.table(cursors, end: end))
    }

    /// How far a cursor is behind the log's end offset `end`.
    private static func lag(_ cursor: CursorPosition, end: UInt64) -> UInt64 {
        let next = UInt64(max(cursor.nextOffset, 0))
        return end > next ? end - next : 0
    }

    static func table(_ cursors: [CursorPosition], end: UInt64) -> String {
        var table = Table([("CURSOR", .left), ("NEXT", .right), ("LAG", .right), ("COMMITTED", .left)])
        for cursor in cursors {
            table.append([
                cursor.name, String(cursor.nextOffset), String(lag(cursor, end: end)),
                TimeText.iso8601(cursor.committedAt),
            ])
        }
        return table.text
    }

    static func json(_ cursor: CursorPosition, end: UInt64) -> JSON {
        .object([
            ("name", .string(cursor.name)),
            ("next_offset", .integer(cursor.nextOffset)),
            ("lag", .integer(lag(cursor, end: end))),
            ("committed_at", .integer(cursor.committedAt)),
            ("committed_time", .string(TimeText.iso8601(cursor.committedAt))),
        ])
    }
}
