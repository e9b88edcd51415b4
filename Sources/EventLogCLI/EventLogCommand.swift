// The `eventlog` command-line tool: argument parsing and output around
// library calls, nothing more. One file per subcommand; this one holds the
// root command, the exit codes, and what the subcommands share.
//
// Exit codes: 0 success, 1 failure (named on stderr), 2 usage error,
// 3 corruption found (verify).
import ArgumentParser
import EventLog
import Glibc

@main
struct EventLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventlog",
        abstract: "Inspect and maintain libeventlog logs (directories of Kafka segment files).",
        discussion: """
            Every command takes the log directory first. Commands that only read open the \
            log read-only, so they work while a writer runs in another process.

            Exit status: 0 success, 1 failure (the message on stderr names the file, \
            offset or argument), 2 usage error, 3 corruption found (verify).
            """,
        version: EventLog.version,
        subcommands: [
            InfoCommand.self, DumpCommand.self, TailCommand.self, AppendCommand.self, CursorsCommand.self,
            VerifyCommand.self, RecoverCommand.self, CompactCommand.self, RetentionCommand.self, ShipCommand.self,
            ImportCommand.self,
        ])

    static func main() {
        var name = "eventlog"
        do {
            var command = try parseAsRoot()
            let subcommand = type(of: command).configuration.commandName ?? ""
            if !subcommand.isEmpty && subcommand != name { name += " " + subcommand }
            try command.run()
        } catch let failure as Failure {
            printError("\(name): \(failure.message)")
            Glibc.exit(failure.exitCode)
        } catch let error as EventLogError {
            printError("\(name): \(error.message)")
            Glibc.exit(Failure.failed)
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

    /// A library error caused by the value of `argument`: bad values are
    /// usage errors, anything else a failure.
    init(_ error: EventLogError, argument: String) {
        self.init(
            "\(argument): \(error.message)", exitCode: error.code == .invalidArgument ? Failure.usage : Failure.failed)
    }
}

/// Runs `body`, attributing an error of the library to `argument`.
func blaming<T>(_ argument: String, _ body: () throws(EventLogError) -> T) throws(Failure) -> T {
    do { return try body() } catch { throw Failure(error, argument: argument) }
}

/// Opens the log in `path` read-only.
func openForReading(_ path: String) throws(EventLogError) -> EventLog {
    var options = EventLogOptions()
    options.readOnly = true
    return try EventLog.open(at: path, options: options)
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
