// SPDX-License-Identifier: Apache-2.0
// What the `eventlog` tool does with input it must not guess about: a
// timestamp of 0 given in JSON, a field given twice, offsets beyond int64
// and empty ranges.
import EventLog
import Foundation
import Testing

@Suite struct CLIInputTests {
    @Test func dumpThenAppendCopiesTimestampZeroExactly() throws {
        let dir = TemporaryDirectory()
        let source = dir.child("source")
        let input = [
            #"{"key":"a","value":"epoch","timestamp":0}"#,
            #"{"key":"b","value":"later","timestamp":1764410400000}"#,
        ].joined(separator: "\n")
        let appended = try CLI.run(["append", source, "--json"], input: input + "\n")
        #expect(appended.status == 0, "\(appended.stderr)")
        let dump = try CLI.run(["dump", source])
        #expect(dump.lines.first?.contains(#""timestamp":0,"#) == true, "\(dump.stdout)")

        let copy = dir.child("copy")
        let copied = try CLI.run(["append", copy, "--json"], input: dump.stdout)
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(try CLI.run(["dump", copy]).stdout == dump.stdout)
    }

    @Test(arguments: [
        #"{"value":"a","value_b64":"YQ=="}"#, #"{"key_b64":"YQ==","key":"a"}"#, #"{"value":"a","value":"b"}"#,
    ])
    func aFieldGivenTwiceIsRefused(line: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let result = try CLI.run(["append", path, "--json"], input: line + "\n")
        #expect(result.status != 0)
        #expect(result.stderr.contains("line 1") && result.stderr.contains("more than once"), "\(result.stderr)")
        let log = try EventLog(path: path)
        #expect(log.endOffset == 0)
        try log.close()
    }

    @Test func offsetsBeyondInt64AreRefusedNotTakenAsOldest() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        #expect(try CLI.run(["append", path, "--json"], input: #"{"value":"a"}"# + "\n").status == 0)
        for command in ["dump", "tail"] {
            for offset in ["18446744073709551614", "18446744073709551615", "9223372036854775808"] {
                let result = try CLI.run([command, path, "--from", offset])
                #expect(result.status == 2, "\(command) --from \(offset): \(result.stdout)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderr.contains("expected an offset from 0 to 9223372036854775807"))
            }
        }
        let result = try CLI.run(["dump", path, "--from", "9223372036854775807"])
        #expect(result.status == 0 && result.stdout.isEmpty)
    }

    @Test func anEmptyOrInvertedRangeIsAnError() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        #expect(try CLI.run(["append", path, "--json"], input: #"{"value":"a"}"# + "\n").status == 0)
        for (from, to) in [("5", "2"), ("3", "3")] {
            let result = try CLI.run(["dump", path, "--from", from, "--to", to])
            #expect(result.status == 2)
            #expect(result.stderr.contains("--from \(from) is not before --to \(to)"), "\(result.stderr)")
        }
    }
}
