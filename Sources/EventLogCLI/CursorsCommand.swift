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

    @Option(name: .long, help: ArgumentHelp("Delete the named cursor.", valueName: "name"))
    var delete: String?

    func validate() throws {
        if delete != nil && json { throw ValidationError("--delete prints nothing: drop --json") }
    }

    func run() throws {
        if let name = delete {
            try blaming("--delete") { () throws(EventLogError) in try EventLog.deleteNamedCursor(name, at: directory) }
            return
        }
        let log = try openForReading(directory)
        let end = log.endOffset
        let cursors = try EventLog.namedCursors(at: directory)
        func lag(_ cursor: CursorPosition) -> UInt64 {
            let next = UInt64(max(cursor.nextOffset, 0))
            return end > next ? end - next : 0
        }
        let out = Output()
        if json {
            out.line(JSON.array(cursors.map { Self.json($0, lag: lag($0)) }).text)
        } else {
            var table = Table([("CURSOR", .left), ("NEXT", .right), ("LAG", .right), ("COMMITTED", .left)])
            for cursor in cursors {
                table.append([
                    cursor.name, String(cursor.nextOffset), String(lag(cursor)), TimeText.iso8601(cursor.committedAt),
                ])
            }
            out.write(cursors.isEmpty ? "no named cursors (log end \(end))\n" : table.text)
        }
        out.flush()
    }

    static func json(_ cursor: CursorPosition, lag: UInt64) -> JSON {
        .object([
            ("name", .string(cursor.name)),
            ("next_offset", .integer(cursor.nextOffset)),
            ("lag", .integer(lag)),
            ("committed_at", .integer(cursor.committedAt)),
            ("committed_time", .string(TimeText.iso8601(cursor.committedAt))),
        ])
    }
}
