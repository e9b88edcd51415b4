// SPDX-License-Identifier: Apache-2.0
// The `eventlog` command-line tool: argument parsing and output around
// library calls, nothing more. One file per subcommand; this one holds the
// root command, the exit codes, and what the subcommands share.
//
// Exit codes: 0 success, 1 failure (named on stderr), 2 usage error,
// 3 corruption found (verify).
import ArgumentParser
internal import EventLog
import Glibc

@main
struct EventLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventlog",
        abstract: "Inspect and maintain libeventlog logs (directories of Kafka segment files).",
        discussion: """
            Every command takes the log directory first. Commands that only read open the \
            log read-only, so they work while a writer runs in another process.

            Exit status: 0 success, 1 failure (the message on stderr names the file, \
            offset or argument), 2 usage error, 3 corruption found (verify). A reader that \
            closes the pipe early (`eventlog dump log | head -1`) ends the command quietly \
            with status 0; any other failure to write standard output is named on standard \
            error with status 1.
            """,
        version: EventLog.version,
        subcommands: [
            InfoCommand.self, DumpCommand.self, TailCommand.self, AppendCommand.self, CursorsCommand.self,
            VerifyCommand.self, RecoverCommand.self, CompactCommand.self, RetentionCommand.self, ShipCommand.self,
            ImportCommand.self, StatsCommand.self, ServeCommand.self,
        ])

    static func main() async {
        // A closed pipe shows up as EPIPE, which Output turns into a quiet exit.
        signal(SIGPIPE, SIG_IGN)
        var name = "eventlog"
        func fail(_ failure: Failure) -> Never {
            printError("\(name): \(failure.message)")
            Glibc.exit(failure.exitCode)
        }
        if let failure = unknownCommand(Array(CommandLine.arguments.dropFirst())) { fail(failure) }
        do {
            var command = try parseAsRoot()
            let subcommand = type(of: command).configuration.commandName ?? ""
            if !subcommand.isEmpty && subcommand != name { name += " " + subcommand }
            // `stats` runs its batch job on the cooperative pool; the others are synchronous.
            if var job = command as? AsyncParsableCommand { try await job.run() } else { try command.run() }
        } catch let failure as Failure {
            fail(failure)
        } catch let error as EventLogError {
            fail(Failure(error.message))
        } catch {
            // Parse and validation errors are usage errors: status 2, not
            // the argument parser's EX_USAGE (64).
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Glibc.exit(Failure.usage)
            }
            exit(withError: error)
        }
    }
}

extension EventLogCommand {
    /// A usage error when the first argument is neither an option nor a
    /// command, naming the closest command when one is a typo away (as git
    /// does), instead of the argument parser's "unexpected arguments".
    static func unknownCommand(_ arguments: [String]) -> Failure? {
        guard let word = arguments.first, !word.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
        guard !names.contains(word) else { return nil }
        var message = "unknown command '\(word)'"
        let nearest = names.map { (name: $0, distance: editDistance(word, $0)) }.min { $0.distance < $1.distance }
        if let nearest, nearest.distance <= max(1, min(2, word.count / 3)) {
            message += "; did you mean '\(nearest.name)'?"
        } else {
            message += " (commands: \(names.joined(separator: ", ")))"
        }
        return Failure(message, exitCode: Failure.usage)
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two neighbours each count one, so "dupm" is one from "dump".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { rows[i][0] = i }
    for j in 0...b.count { rows[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
            }
        }
    }
    return rows[a.count][b.count]
}

/// An error the CLI reports itself: its message and exit status.
struct Failure: Error {
    static let failed: Int32 = 1
    static let usage: Int32 = 2
    static let corruption: Int32 = 3

    var message: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = failed) {
        self.message = message
        self.exitCode = exitCode
    }
}

/// Runs `body`, attributing an error of the library to `argument`: bad
/// values are usage errors, anything else a failure.
func blaming<T>(_ argument: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as EventLogError {
        throw Failure(
            "\(argument): \(error.message)", exitCode: error.code == .invalidArgument ? Failure.usage : Failure.failed)
    }
}

/// Prints a command's report: one line of JSON with --json, else the text.
func printReport(json: Bool, _ object: @autoclosure () -> JSON, text: @autoclosure () -> String) {
    let out = Output()
    out.write(json ? object().text + "\n" : text())
    out.flush()
}

/// Opens the log in `path` read-only.
func openForReading(_ path: String) throws(EventLogError) -> EventLog {
    var options = EventLogOptions()
    options.readOnly = true
    return try EventLog(path: path, options: options)
}

/// An offset given on the command line. Offsets are Kafka's int64: larger
/// numbers would collide with the library's own markers for "oldest" and
/// "latest" (2^64 - 2 and 2^64 - 1), so they are refused here.
func parseOffset(_ text: String) throws -> UInt64 {
    guard let offset = UInt64(text), offset <= UInt64(Int64.max) else {
        throw ValidationError("expected an offset from 0 to \(Int64.max)")
    }
    return offset
}

/// A time given on the command line: milliseconds since the epoch or ISO-8601.
func parseTime(_ text: String) throws -> Int64 {
    guard let milliseconds = TimeText.parse(text) else {
        throw ValidationError("expected milliseconds since the epoch or ISO-8601 such as 2026-11-29T10:00:00Z")
    }
    return milliseconds
}
