// SPDX-License-Identifier: Apache-2.0
// Progress of `compact`, `verify`, `recover` and `dump` on standard error:
// plain lines when forced on into a file, a bar redrawn in place on a
// terminal, nothing by default when standard error is not a terminal.
import EventLog
import Foundation
import Testing

@Suite struct CLIProgressTests {
    @Test(arguments: [
        (["compact"], "compact (mapping keys): "), (["verify"], "verify: "), (["recover"], "recover: "),
        (["dump", "--to", "100"], "dump: "),
    ])
    func forcedIntoAFileItPrintsPlainLines(command: [String], prefix: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path)
        let arguments = [command[0], path] + command.dropFirst()
        let quiet = try CLI.run(arguments)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stderr.isEmpty, "no progress by default when stderr is not a terminal")
        #expect(try CLI.run(arguments + ["--no-progress"]).stderr.isEmpty)

        let result = try CLI.run(arguments + ["--progress"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("\r") && !result.stderr.contains("\u{1B}"))
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix(command[0]) }, "\(result.stderr)")
        #expect(lines.contains { $0.hasPrefix(prefix) }, "\(result.stderr)")
        #expect(lines.last?.contains(": 100% (") == true, "\(result.stderr)")
        if command[0] == "dump" {
            #expect(lines.last == "dump: 100% (100 of 100 records)")
            #expect(result.stdout == quiet.stdout)
        }
    }

    @Test func verifyCountsTheBytesOfEverySegment() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path)
        let total = try dir.files(withSuffix: ".log", in: path).reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: path + "/" + $1)[.size] as? Int ?? 0)
        }
        let result = try CLI.run(["verify", path, "--progress"])
        let last = try #require(result.stderr.split(separator: "\n").last.map(String.init))
        let expected = total < 1024 ? "\(total) bytes" : "KiB"
        #expect(last.hasPrefix("verify: 100% (") && last.contains(expected), "\(last) for \(total) bytes")
    }

    @Test func aFailureEndsWithTheErrorNotWithCompletion() throws {
        let dir = TemporaryDirectory()
        let result = try CLI.run(["verify", dir.path, "--progress"])
        #expect(result.status == 1)
        #expect(!result.stderr.contains("100%"), "\(result.stderr)")
        #expect(result.stderr.contains("no log here"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func onATerminalABarIsRedrawnInPlace() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path)
        // script(1) runs the command on a pseudo-terminal; dump's records go
        // to a file, as progress for dump is for.
        let out = dir.child("out")
        let command = "'\(CLI.executable)' verify '\(path)' && '\(CLI.executable)' dump '\(path)' > '\(out)'"
        let result = try CLI.runProgram("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("\r\u{1B}[Kverify ["), "\(result.stdout)")
        #expect(result.stdout.contains("] 100% "))
        #expect(result.stdout.contains("\r\u{1B}[Kdump [##############################] 100% 120 of 120 records"))
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 120)
    }
}

extension CLI {
    /// Runs another program to completion; its standard output and error
    /// together in `stdout`.
    static func runProgram(_ program: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = try output.fileHandleForReading.readToEnd() ?? Data()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
    }
}
