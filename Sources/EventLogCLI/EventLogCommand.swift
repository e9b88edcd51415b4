// The `eventlog` command-line tool: argument parsing and output around
// library calls, nothing more.
import ArgumentParser
import EventLog

@main
struct EventLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventlog",
        abstract: "Inspect and maintain libeventlog logs (directories of Kafka segment files).",
        version: "0.1.0",
        subcommands: [])
}
