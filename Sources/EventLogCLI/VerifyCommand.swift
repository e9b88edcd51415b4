// SPDX-License-Identifier: Apache-2.0
// `eventlog verify`: EventLog.verify(at:) and its report. Exit status 3
// when it finds a problem.
import ArgumentParser
internal import EventLog

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every batch, index and cursor file of a log; change nothing.",
        discussion: """
            Reads every batch of every segment (CRC, structure, records, offsets), both \
            index files of each segment and every named cursor file, and prints each \
            problem with its file and byte position. Safe while a writer appends: a torn \
            tail of the last segment is where a writer stopped or is writing, and only \
            counts as bytes a recovery would cut.

            Exit status: 0 sound, 3 problems found, 1 verify itself failed.

            Examples:
              eventlog verify events
              eventlog verify events --json
              eventlog verify events || eventlog recover events
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var display: ProgressOption

    func run() throws {
        let report = try Progress.showingBytes(display.reporter("verify")) {
            try EventLog.verify(at: directory, progress: $0)
        }
        printReport(
            json: json,
            .object([
                ("sound", .bool(report.isSound)),
                ("segments", .integer(report.segments)),
                ("batches", .integer(report.batches)),
                ("records", .integer(report.records)),
                ("corrupt_batches", .integer(report.corruptBatches)),
                ("truncated_bytes", .integer(report.truncatedBytes)),
                ("problems", .array(report.problems.map(Self.json))),
            ]), text: text(report))
        if !report.isSound { throw ExitCode(Failure.corruption) }
    }

    private func text(_ report: VerifyReport) -> String {
        let counts =
            "\(counted(report.segments, "segment")), \(counted(report.batches, "batch", plural: "batches")), "
            + counted(report.records, "record")
        let torn = report.truncatedBytes > 0 ? ", \(report.truncatedBytes) bytes after the last valid batch" : ""
        let verdict =
            report.isSound
            ? "ok"
            : "\(counted(report.problems.count, "problem")), "
                + counted(report.corruptBatches, "corrupt batch", plural: "corrupt batches")
        return report.problems.map { $0.description + "\n" }.joined() + "\(directory): \(counts)\(torn): \(verdict)\n"
    }

    static func json(_ problem: VerifyProblem) -> JSON {
        .object([
            ("file", .string(problem.file)), ("position", .integer(problem.position)),
            ("detail", .string(problem.detail)),
        ])
    }
}
