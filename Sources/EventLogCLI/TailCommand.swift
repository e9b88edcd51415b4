// SPDX-License-Identifier: Apache-2.0
// `eventlog tail`: the newest records, and with --follow those still to be
// written, read with a cursor that waits (Cursor.next(timeout:))
// rather than polls. With --cursor the position is a named cursor's, stored
// with Cursor.commit() as records are printed and on exit.
import ArgumentParser
internal import EventLog
internal import EventLogStorage
import Glibc
import Synchronization

struct TailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print the last records as JSON lines, and with -f new ones as they are written.",
        discussion: """
            Prints records in the form of `eventlog dump`, and like it takes --values and \
            --format. Without --from, --from-time or \
            --cursor it starts --last records before the end. Without --follow it stops at \
            the end of the log.

            With --cursor NAME it starts where the named cursor left off (the oldest record \
            for a new name) and commits its position after every --commit-every records \
            printed, when it reaches the end without --follow, and when SIGINT or SIGTERM \
            ends it. Commits follow the output, so a record may be printed twice after a \
            crash, never skipped.

            The log is opened read-only: tail works while a writer appends in another process.

            Examples:
              eventlog tail events
              eventlog tail -f events --from-time 2026-11-29T10:00:00Z
              eventlog tail -f events --cursor indexer --commit-every 100
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(name: [.customShort("f"), .long], help: "Keep waiting for new records until interrupted.")
    var follow = false

    @Option(
        help: ArgumentHelp(
            "Start at this offset (at the log's start, said on standard error, if retention deleted it).",
            valueName: "offset"), transform: parseOffset)
    var from: UInt64?

    @Option(
        help: ArgumentHelp("Start at the first record at or after this time.", valueName: "time"),
        transform: parseTime)
    var fromTime: Int64?

    @Option(help: ArgumentHelp("Read as the named cursor, committing its position.", valueName: "name"))
    var cursor: String?

    @Option(
        name: [.customShort("n"), .long],
        help: ArgumentHelp("Start this many offsets before the end.", valueName: "count"))
    var last: UInt64 = 10

    @Option(
        help: ArgumentHelp("With --cursor: commit after this many records.", valueName: "count"))
    var commitEvery: UInt64?

    @Option(
        name: .customLong("timeout-ms"),
        help: ArgumentHelp(
            "With --follow: stop once no record has come for this long (\(Units.durationHelp)).",
            valueName: "time"),
        transform: { UInt64(try Units.milliseconds($0)) })
    var timeoutMilliseconds: UInt64?

    @OptionGroup var output: RecordOutputOptions

    /// The longest single wait, so that a signal is noticed promptly.
    static let waitSliceMilliseconds: UInt64 = 200

    func validate() throws {
        if [from != nil, fromTime != nil, cursor != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--from, --from-time and --cursor exclude each other")
        }
        if commitEvery != nil && cursor == nil { throw ValidationError("--commit-every needs --cursor") }
        if commitEvery == 0 { throw ValidationError("--commit-every must be at least 1") }
        if timeoutMilliseconds != nil && !follow { throw ValidationError("--timeout-ms needs --follow") }
    }

    func run() throws {
        StopSignal.install()
        let log = try openForReading(directory)
        let reader = try openCursor(log)
        let out = Output()
        let style = output.style
        var uncommitted: UInt64 = 0
        var idleSince = monotonicMilliseconds()
        func commit() throws {
            out.flush()
            if reader.name != nil && uncommitted > 0 { try reader.commit() }
            uncommitted = 0
        }
        /// Prints the next record, waiting up to `wait` ms for it; false if none came.
        func printNext(wait: UInt64) throws -> Bool {
            while true {
                // A Result, not do-catch: Swift 6.3 fails to compile a typed
                // catch here (an ownership error in SILGen).
                let read = Result { () throws(EventLogError) -> Bool in
                    try reader.withNextRecord(timeoutMilliseconds: Int(wait)) { record, headers in
                        headers.withUnsafeBufferPointer { style.write(record, $0, to: out) }
                    } != nil
                }
                switch read {
                case .success(let printed): return printed
                case .failure(let error) where error.code == .outOfRange:
                    // Retention deleted records before this tail printed them
                    // (it was far behind): say which, and go on from the start.
                    out.flush()
                    try reader.seek(to: .oldest)
                    printError("eventlog tail: \(error.message); going on at offset \(reader.offset)")
                case .failure(let error): throw error
                }
            }
        }
        do {
            while !StopSignal.requested {
                if try !printNext(wait: 0) {
                    // Caught up: show what was read before waiting for more.
                    out.flush()
                    guard follow else { break }
                    var wait = Self.waitSliceMilliseconds
                    if let timeoutMilliseconds {
                        let idle = monotonicMilliseconds() - idleSince
                        if idle >= timeoutMilliseconds { break }
                        wait = min(wait, timeoutMilliseconds - idle)
                    }
                    guard try printNext(wait: wait) else { continue }
                }
                idleSince = monotonicMilliseconds()
                uncommitted += 1
                if uncommitted >= commitEvery ?? 1 { try commit() }
            }
        } catch {
            // What was printed is committed even when reading fails.
            try? commit()
            throw error
        }
        try commit()
    }

    private func openCursor(_ log: EventLog) throws -> Cursor {
        if let name = cursor { return try blaming("--cursor") { try log.cursor(named: name) } }
        if let from {
            let opened = Result { () throws(EventLogError) in try log.cursor(from: .offset(from)) }
            guard case .failure(let error) = opened, error.code == .outOfRange else {
                return try blaming("--from") { try opened.get() }
            }
            // Retention deleted those records: as when it deletes them
            // under a tail far behind, say so and go on from the start.
            let cursor = try log.cursor(from: .oldest)
            printError("eventlog tail: --from \(from) is before the log start; going on at offset \(cursor.offset)")
            return cursor
        }
        if let fromTime { return try log.cursor(from: .time(sinceEpoch: .milliseconds(fromTime))) }
        let end = log.endOffset
        return try log.cursor(from: .offset(max(log.startOffset, end > last ? end - last : 0)))
    }
}

/// SIGINT and SIGTERM set a flag that the read loop checks between waits,
/// so tail commits and exits cleanly; nothing else is async-signal-safe.
/// They are also unblocked: a process may inherit them blocked from its
/// parent (test runners and supervisors spawn from threads that block them).
enum StopSignal {
    private static let flag = Atomic<Bool>(false)

    static var requested: Bool { flag.load(ordering: .acquiring) }

    static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in StopSignal.flag.store(true, ordering: .releasing) }
        sigemptyset(&action.sa_mask)
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}

func monotonicMilliseconds() -> UInt64 { monotonicNanoseconds() / 1_000_000 }
