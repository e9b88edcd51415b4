// SPDX-License-Identifier: Apache-2.0
// Hostile files inside a log directory: whoever can create a file there must
// not make the writer write outside it (symbolic links named like the log's
// files), hang an open (FIFOs), or get a misleading error (a directory named
// like a segment); deleting `eventlog.lock` must not let a second writer in,
// and renaming the directory away while a writer runs must not send its next
// segments to whatever takes the old name.
import EventLog
import Foundation
import Glibc
import Testing

@Suite struct HostileDirectoryTests {
    static let lastSegment = "00000000000000001000.log"

    /// A closed log of 20 records in `dir/log`.
    static func makeLog(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.child("log")
        let log = try EventLog(path: path)
        for i in 0..<20 { try log.append(key: nil, value: Array("record \(i)".utf8)) }
        try log.close()
        return path
    }

    /// A file outside the log, which no call on the log may change.
    static func makeVictim(_ dir: TemporaryDirectory) -> (path: String, bytes: Data) {
        let path = dir.child("victim")
        let bytes = Data("precious bytes that are not part of any log\n".utf8)
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        return (path, bytes)
    }

    @Test(arguments: ["00000000000000000000.log", "00000000000000000000.index", "eventlog.lock", "eventlog.head"])
    func writableOpenRefusesASymbolicLink(name: String) throws {
        let dir = TemporaryDirectory()
        let path = try Self.makeLog(dir)
        let victim = Self.makeVictim(dir)
        unlink(path + "/" + name)
        #expect(symlink(victim.path, path + "/" + name) == 0)

        #expect {
            _ = try EventLog(path: path)
        } throws: { error in
            let error = error as! EventLogError
            // The last segment is refused by the writable open's check of
            // who it belongs to, the other files when they are opened:
            // either way the message names the file and what it is.
            return error.code == .corrupt && error.message.contains("\(path)/\(name): ")
                && error.message.contains("a symbolic link")
        }
        #expect(FileManager.default.contents(atPath: victim.path) == victim.bytes)
    }

    @Test func aSymbolicLinkToTheDirectoryItselfIsFollowed() throws {
        let dir = TemporaryDirectory()
        let path = try Self.makeLog(dir)
        #expect(symlink(path, dir.child("alias")) == 0)
        let log = try EventLog(path: dir.child("alias"))
        try log.append(key: nil, value: [1])
        #expect(log.endOffset == 21)
        try log.close()
    }

    /// Runs `body` on a thread and waits for it up to 30 s: a hang detector,
    /// not a speed assertion. A body still blocked opening the FIFO at `fifo`
    /// is released by opening its other end, so the test can report it.
    static func returnsWithoutHanging(fifo: String, _ body: @escaping @Sendable () -> String) -> String? {
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Thread {
            outcome.value = body()
            done.signal()
        }.start()
        if done.wait(timeout: .now() + 30) == .success { return outcome.value }
        let peer = open(fifo, O_RDWR | O_NONBLOCK)
        _ = done.wait(timeout: .now() + 30)
        if peer >= 0 { close(peer) }
        return nil
    }

    /// The semaphore orders the thread's store before the test's read.
    final class Outcome: @unchecked Sendable { var value: String? }

    static func message<R>(_ body: () throws -> R) -> String {
        do {
            _ = try body()
            return "no error"
        } catch let error as EventLogError {
            return "\(error.code): \(error.message)"
        } catch { return "\(error)" }
    }

    @Test func aFIFONamedLikeASegmentNeverHangs() throws {
        let dir = TemporaryDirectory()
        let path = try Self.makeLog(dir)
        let fifo = path + "/" + Self.lastSegment
        #expect(mkfifo(fifo, 0o644) == 0)
        // What opening it says, or what the checks of who a segment
        // belongs to say: both name the file and what it is.
        func namesTheFIFO(_ text: String?) -> Bool {
            guard let text else { return false }
            return text.contains("\(fifo): ") && text.contains("a FIFO")
        }

        let writable = Self.returnsWithoutHanging(fifo: fifo) { Self.message { try EventLog(path: path) } }
        #expect(writable?.hasPrefix("corrupt: ") == true && namesTheFIFO(writable), "\(writable ?? "hung")")

        // A reader stops where the head says the log ends, before the FIFO;
        // if it gets there, it must fail the same way.
        let reading = Self.returnsWithoutHanging(fifo: fifo) {
            Self.message {
                var options = EventLogOptions()
                options.readOnly = true
                let log = try EventLog(path: path, options: options)
                let cursor = try log.cursor(from: .oldest)
                while try cursor.next() != nil {}
            }
        }
        #expect(reading == "no error" || namesTheFIFO(reading), "\(reading ?? "hung")")

        let verify = Self.returnsWithoutHanging(fifo: fifo) {
            do {
                let report = try EventLog.verify(at: path)
                return report.problems.map(\.description).joined(separator: "; ")
            } catch let error as EventLogError { return "\(error.code): \(error.message)" } catch {
                return "\(error)"
            }
        }
        #expect(namesTheFIFO(verify), "\(verify ?? "hung")")

        // info, like the reader, covers what the head published, which
        // ends before the FIFO (a writer may have just rolled to a segment
        // of that name); verify above names it.
        let info = Self.returnsWithoutHanging(fifo: fifo) { Self.message { try EventLog.inspect(at: path) } }
        #expect(info == "no error", "\(info ?? "hung")")

        let append = Self.returnsWithoutHanging(fifo: fifo) {
            let result = try? CLI.run(["append", path], input: "one more\n")
            return result.map { "status \($0.status): \($0.stderr)" } ?? "could not run"
        }
        #expect(append?.hasPrefix("status 0") == false, "\(append ?? "hung")")
        #expect(namesTheFIFO(append), "\(append ?? "hung")")
    }

    @Test func aDirectoryNamedLikeASegmentIsNamed() throws {
        let dir = TemporaryDirectory()
        let path = try Self.makeLog(dir)
        let stranger = path + "/" + Self.lastSegment
        #expect(mkdir(stranger, 0o755) == 0)
        #expect {
            _ = try EventLog(path: path)
        } throws: { error in
            let error = error as! EventLogError
            return error.code == .corrupt && error.message.contains("\(stranger): ")
                && error.message.contains("a directory")
        }
    }

    @Test func deletingTheLockFileDoesNotLetASecondWriterIn() throws {
        let dir = TemporaryDirectory()
        let path = try Self.makeLog(dir)
        let first = try EventLog(path: path)
        #expect(unlink(path + "/eventlog.lock") == 0)

        #expect {
            _ = try EventLog(path: path)
        } throws: { error in
            let error = error as! EventLogError
            return error.code == .busy && error.message.contains("open for writing by process \(getpid())")
        }
        let other = try CLI.run(["append", path], input: "intruder\n")
        #expect(other.status != 0)
        #expect(other.stderr.contains("open for writing by process"), "\(other.stderr)")

        try first.append(key: nil, value: [1])
        try first.close()
        let report = try EventLog.verify(at: path)
        #expect(report.isSound && report.records == 21)
    }

    @Test func aWriterKeepsWritingToTheDirectoryItOpened() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        var options = EventLogOptions()
        options.segmentBytes = EventLogOptions.minSegmentBytes
        let log = try EventLog(path: path, options: options)
        // Random, so that LZ4 cannot shrink the records into one segment.
        var generator = SeededGenerator(seed: 11)
        let value = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for _ in 0..<10 { try log.append(key: nil, value: value) }
        try log.flush()

        #expect(rename(path, dir.child("moved")) == 0)
        #expect(mkdir(path, 0o755) == 0)
        // One batch per flush, each larger than a segment: every flush rolls
        // a new segment, which must be created in the directory opened.
        for _ in 0..<100 {
            try log.append(key: nil, value: value)
            try log.flush()
        }
        try log.close()

        #expect(dir.files(withSuffix: ".log", in: path).isEmpty)
        let report = try EventLog.verify(at: dir.child("moved"))
        #expect(report.isSound && report.records == 110, "\(report)")
        #expect(report.segments > 2)
    }

    @Test func aCursorCommitDoesNotFollowALinkedCursorsFolder() throws {
        let dir = TemporaryDirectory()
        let path = try Self.makeLog(dir)
        let elsewhere = dir.child("elsewhere")
        #expect(mkdir(elsewhere, 0o755) == 0)
        let victim = Self.makeVictim(dir)
        #expect(rename(victim.path, elsewhere + "/notes") == 0)
        #expect(symlink(elsewhere, path + "/cursors") == 0)

        let log = try EventLog(path: path)
        let cursor = try log.cursor(named: "reader")
        _ = try cursor.next()
        #expect(throws: EventLogError.self) { try cursor.commit() }
        try log.close()
        #expect(FileManager.default.contents(atPath: elsewhere + "/notes") == victim.bytes)
        #expect(dir.files(withSuffix: "", in: elsewhere) == ["notes"])
    }
}
