// SPDX-License-Identifier: Apache-2.0
// What the `eventlog` maintenance commands do with a directory that holds
// no log: refuse it, say so, and leave it exactly as it was.
import EventLog
import Foundation
import Testing

@Suite struct CLIMaintenanceTests {
    @Test(arguments: [
        ["compact"], ["compact", "--dry-run"], ["retention", "--retention-bytes", "1"], ["recover"], ["verify"],
        ["info"], ["cursors"], ["cursors", "--delete", "reader"],
    ])
    func aDirectoryWithoutALogIsRefusedAndLeftEmpty(command: [String]) throws {
        let dir = TemporaryDirectory()
        let plain = dir.child("plain")
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: false)
        let result = try CLI.run([command[0], plain] + command.dropFirst())
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("\(plain): no log here"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: plain).isEmpty)
    }

    @Test func theLibraryRefusesItToo() throws {
        let dir = TemporaryDirectory()
        var retention = RetentionOptions()
        retention.retentionBytes = 1
        #expect(throws: EventLogError.self) { try EventLog.compact(at: dir.path) }
        #expect(throws: EventLogError.self) { try EventLog.applyRetention(at: dir.path, options: retention) }
        #expect(throws: EventLogError.self) { try EventLog.inspect(at: dir.path) }
        #expect(throws: EventLogError.self) { try EventLog.namedCursors(at: dir.path) }
        do {
            _ = try EventLog.compact(at: dir.path)
        } catch {
            #expect(error.code == .notFound)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func anEmptyLogIsStillALog() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try EventLog(path: path).close()
        for command in [["compact"], ["retention", "--retention-bytes", "1"], ["verify"], ["info"], ["cursors"]] {
            let result = try CLI.run([command[0], path] + command.dropFirst())
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
    }
}
