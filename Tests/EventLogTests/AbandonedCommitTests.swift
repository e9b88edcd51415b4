// SPDX-License-Identifier: Apache-2.0
// A consumer killed between writing a named cursor's temporary file and
// renaming it leaves `cursors/.NAME.tmp.PID` behind; the next open of a
// named cursor removes those of dead processes.
import EventLog
import Foundation
import Testing

@Suite struct AbandonedCommitTests {
    /// The pid of a process that has exited.
    private static func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func openingANamedCursorRemovesTemporariesOfDeadCommitters() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path)
        try log.append(key: nil, value: Array("a".utf8))
        try log.flush()
        let first = try log.cursor(named: "reader")
        _ = try first.next()
        try first.commit()

        let cursors = path + "/cursors"
        let dead = try (0..<3).map { _ in ".reader.tmp.\(try Self.deadPid())" }
        let live = ".reader.tmp.\(getpid())"
        for name in dead + [live] {
            _ = FileManager.default.createFile(atPath: cursors + "/" + name, contents: Data(count: 32))
        }
        let again = try log.cursor(named: "reader")
        #expect(again.offset == 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: cursors).sorted()
        #expect(left == [live, "reader"].sorted())
        try log.close()
    }
}
