// SPDX-License-Identifier: Apache-2.0
// Limits and names: records up to EVENTLOG_MAX_RECORD_BYTES (64 MiB) are
// stored and read back, one byte more is `tooBig` and nothing is dropped
// silently; created files get mode 0644 by default and file_mode narrows
// it; cursor names and paths cannot leave the log directory.
import CEventLogHeader
import EventLog
import EventLogCABI
import Foundation
import Glibc
import Testing

@Suite struct LimitsTests {
    @Test func recordOfExactly64MiBRoundTrips() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(path: dir.child("log"))
        let limit = EventLogOptions.maxRecordBytes
        #expect(limit == 64 << 20 && EventLogOptions.maxRecordBytes == limit)
        var generator = SeededGenerator(seed: 64)
        let key = Array("big".utf8)
        let header = Header(key: "h", value: [1, 2, 3])
        var value = [UInt8](repeating: 0, count: limit - key.count - 4)
        value.withUnsafeMutableBytes { raw in
            // Half random (stored raw by LZ4), half repetitive (compressed).
            for i in stride(from: 0, to: raw.count / 2 - 8, by: 8) {
                raw.storeBytes(of: generator.next(), toByteOffset: i, as: UInt64.self)
            }
        }
        try log.append(key: nil, value: [0])
        let offset = try log.append(Record(key: key, value: value, headers: [header]))
        try log.append(key: nil, value: [2])
        // One byte over, counting header bytes: refused, and nothing taken.
        #expect(throws: EventLogError.self) { try log.append(Record(key: key, value: value + [0], headers: [header])) }
        #expect(
            errorCode { () throws(EventLogError) in
                try log.append(Record(key: key, value: value + [0], headers: [header]))
            } == .tooBig)
        #expect(log.endOffset == 3)
        try log.flush()
        let cursor = try log.cursor(from: .offset(offset))
        let read = try cursor.next()
        #expect(read?.offset == 1 && read?.key == key && read?.headers == [header])
        #expect(read?.value == value)
        #expect(try cursor.next()?.value == [2])
        try log.close()
        #expect(try EventLog.verify(at: dir.child("log")).records == 3)
    }

    @Test func tooBigThroughTheCAPI() throws {
        let dir = TemporaryDirectory()
        var log: OpaquePointer?
        #expect(eventlog_open(dir.child("log"), nil, &log) == EVENTLOG_OK)
        defer { eventlog_close(log) }
        let byte: UInt8 = 7
        try withUnsafePointer(to: byte) { pointer in
            // The length alone decides: the bytes behind it are never read.
            var record = eventlog_record()
            record.value = UnsafeRawPointer(pointer)
            record.value_len = EventLogOptions.maxRecordBytes + 1
            #expect(eventlog_append(log, &record, nil) == EVENTLOG_ETOOBIG)
            #expect(String(cString: eventlog_errmsg()).contains("exceed"))
            record.value_len = 1
            var offset: UInt64 = 99
            #expect(eventlog_append(log, &record, &offset) == EVENTLOG_OK && offset == 0)
            _ = try #require(log)
        }
    }

    @Test func filesGetMode0644ByDefaultAndFileModeNarrowsIt() throws {
        let umask = Self.currentUmask()
        for (mode, expected) in [(UInt32?.none, UInt32(0o644)), (0o600, 0o600), (0o640, 0o640)] {
            let dir = TemporaryDirectory()
            let path = dir.child("log")
            var options = Sample.options(segmentBytes: 8192)
            if let mode { options.fileMode = mode }
            let log = try EventLog(path: path, options: options)
            try Sample.append(0..<200, to: log)
            let cursor = try log.cursor(named: "c")
            _ = try cursor.next()
            try cursor.commit()
            let files = Self.allFiles(path)
            #expect(files.count > 8)
            for file in files {
                #expect(Self.permissions(file) == expected & ~umask, "\((file as NSString).lastPathComponent)")
            }
            try log.close()
            for file in Self.allFiles(path) {
                #expect(Self.permissions(file) == expected & ~umask, "\(file) after close")
            }
        }
        var options = EventLogOptions()
        options.fileMode = 0o4755
        #expect(throws: EventLogError.self) { try EventLog(path: TemporaryDirectory().child("log"), options: options) }
    }

    @Test(arguments: [
        "../x", "..", "/etc/passwd", "a/b", ".hidden", "", "a\0b", "x\n", "é", String(repeating: "a", count: 65),
    ])
    func cursorNamesCannotLeaveTheDirectory(_ name: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("inner/log")
        try FileManager.default.createDirectory(atPath: dir.child("inner"), withIntermediateDirectories: true)
        let log = try EventLog(path: path)
        try log.append(key: nil, value: [1])
        do throws(EventLogError) {
            _ = try log.cursor(named: name)
            Issue.record("cursor name \(name.debugDescription) was accepted")
        } catch { #expect(error.code == .invalidArgument && error.message.contains("name")) }
        do throws(EventLogError) {
            try EventLog.deleteNamedCursor(name, at: path)
            Issue.record("deleting \(name.debugDescription) was accepted")
        } catch { #expect(error.code == .invalidArgument) }
        var cursor: OpaquePointer?
        // A C string ends at its first NUL: C callers cannot pass "a\0b".
        if !name.utf8.contains(0) {
            name.withCString { cName in
                #expect(
                    eventlog_cursor_open_named(
                        OpaquePointer(Unmanaged.passUnretained(log).toOpaque()), cName, 0, &cursor) == EVENTLOG_EINVAL)
            }
        }
        #expect(cursor == nil)
        try log.close()
        // Nothing appeared beside the log, or above it.
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.child("inner"))) == ["log"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["inner"])
    }

    @Test func pathsWithNULBytesAreRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log") + "\0/../../escape"
        var readOnly = EventLogOptions()
        readOnly.readOnly = true
        #expect(errorCode { () throws(EventLogError) in try EventLog(path: path) } == .invalidArgument)
        #expect(
            errorCode { () throws(EventLogError) in try EventLog(path: path, options: readOnly) } == .invalidArgument)
        #expect(errorCode { () throws(EventLogError) in try EventLog.verify(at: path) } == .invalidArgument)
        #expect(errorCode { () throws(EventLogError) in try EventLog.recover(at: path) } == .invalidArgument)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    static func currentUmask() -> UInt32 {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") } ?? "Umask: 0022"
        return UInt32(line.split(separator: "\t").last.map(String.init) ?? "22", radix: 8) ?? 0o22
    }

    static func allFiles(_ directory: String) -> [String] {
        var result: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if isDirectory.boolValue { result += allFiles(path) } else { result.append(path) }
        }
        return result
    }

    static func permissions(_ path: String) -> UInt32 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt32(st.st_mode & 0o7777) : 0
    }
}
