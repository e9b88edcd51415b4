// The typed system-call layer: stat goes through it like every other call,
// so a test can make it fail.
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
}
