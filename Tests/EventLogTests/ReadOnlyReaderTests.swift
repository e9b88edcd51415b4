// SPDX-License-Identifier: Apache-2.0
// Readers where they may not write: a consumer running as another user, and
// a log on a read-only file system (archives, snapshots, containers). The
// `eventlog` tool reads such logs and exits cleanly. Both need root (to
// switch users, to mount); without it they are skipped with a message.
import EventLog
import Foundation
import Testing

@Suite struct ReadOnlyReaderTests {
    static let isRoot = getuid() == 0

    /// A log of 50 records in a directory every user can read.
    private static func makeLog(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.child("log")
        let log = try EventLog(path: path)
        for i in 0..<50 { try log.append(key: nil, value: Array("event-\(i)".utf8)) }
        try log.close()
        chmod(dir.path, 0o755)
        return path
    }

    /// Runs the CLI through `wrapper` (a command that ends by running its
    /// arguments) and returns the status and both outputs.
    private static func run(_ wrapper: [String], _ arguments: [String]) throws -> CLI.Result {
        let dir = TemporaryDirectory("wrapped")
        chmod(dir.path, 0o777)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrapper[0])
        process.arguments = Array(wrapper.dropFirst()) + [CLI.executable] + arguments
        let out = dir.child("out")
        let err = dir.child("err")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return CLI.Result(
            status: process.terminationStatus,
            stdout: String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self),
            stderr: String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self))
    }

    private static let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    @Test(.enabled(if: isRoot, "switching to another user needs root"))
    func anotherUserReadsTheLogAndExitsCleanly() throws {
        let dir = TemporaryDirectory()
        let path = try Self.makeLog(dir)
        let probe = try Self.run(Self.asNobody, ["--help"])
        try #require(probe.status == 0, "user 65534 cannot run \(CLI.executable): \(probe.stderr)")
        for command in [["dump", path], ["info", path], ["tail", path, "--from", "0"]] {
            let result = try Self.run(Self.asNobody, command)
            #expect(result.status == 0, "\(command): status \(result.status), \(result.stderr)")
        }
        let dump = try Self.run(Self.asNobody, ["dump", path])
        #expect(dump.stdout.contains("event-49"), "\(dump.stdout.prefix(200)) \(dump.stderr)")
    }

    @Test(.enabled(if: isRoot, "mounting a read-only file system needs root"))
    func aLogOnAReadOnlyFileSystemIsReadAndClosedCleanly() throws {
        let dir = TemporaryDirectory()
        let path = try Self.makeLog(dir)
        // A private mount namespace, so the read-only bind mount is seen by
        // this command alone and vanishes with it.
        let mount = "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\""
        let probe = try Self.run(["/usr/bin/unshare", "-m", "sh", "-c", mount, path], ["--help"])
        try #require(probe.status == 0, "cannot make a read-only mount here: \(probe.stderr)")
        for command in [["dump", path], ["info", path], ["verify", path], ["tail", path, "--from", "0"]] {
            let result = try Self.run(["/usr/bin/unshare", "-m", "sh", "-c", mount, path], command)
            #expect(result.status == 0, "\(command): status \(result.status), \(result.stderr)")
        }
    }
}
