// SPDX-License-Identifier: Apache-2.0
// The typed system-call layer: stat and flock go through it like every
// other call, so a test can make them fail.
import EventLogStorage
import Foundation
import Glibc
import Testing

@Suite struct FileSystemTests {
    @Test func statusCanBeMadeToFail() throws {
        let path = FileManager.default.temporaryDirectory.path
        #expect(try FileSystem.status(of: path).st_mode & S_IFMT == S_IFDIR)
        FaultInjection.withInjector({ operation, file in operation == .stat && file == path ? EIO : nil }) {
            #expect(throws: EventLogError.self) { try FileSystem.status(of: path) }
            #expect(FileSystem.identity(of: path) == nil)
            #expect(!FileSystem.isDirectory(path))
        }
        #expect(FileSystem.identity(of: path) != nil)
    }

    @Test func lockingCanBeMadeToFail() throws {
        let scratch = TemporaryDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let path = scratch.child("lock")
        let file = try FileHandle.open(path, flags: O_RDWR | O_CREAT, mode: 0o600)
        _ = FaultInjection.withInjector({ operation, file in operation == .lock && file == path ? EIO : nil }) {
            #expect(throws: EventLogError.self) { _ = try file.lockExclusively(wait: false) }
        }
        #expect(try file.lockExclusively(wait: false))
        file.unlock()
    }
}
