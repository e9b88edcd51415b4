// SPDX-License-Identifier: Apache-2.0
// Helpers of the damage, recovery, fault and limit tests: records whose
// bytes follow from their offset (so any record read back can be checked on
// its own), logs written from them, byte surgery on files, a crash snapshot
// (the files exactly as a killed writer leaves them), and a reader that reads
// everything it can, seeking past damage the way an application would.
import EventLog
import Foundation
import Testing

enum Sample {
    static let baseTimestamp: Int64 = 1_700_000_000_000

    /// The record every test writes at `offset`: sizes, keys, null keys,
    /// headers and null header values vary with the offset.
    static func record(_ offset: UInt64) -> Record {
        var generator = SeededGenerator(seed: offset &* 0x9E37_79B9 &+ 17)
        let size = offset % 97 == 0 ? 3000 + Int(generator.next() % 3000) : Int(generator.next() % 200)
        var value = [UInt8](repeating: 0, count: size)
        for i in 0..<size { value[i] = UInt8(truncatingIfNeeded: generator.next() % 23 + 65) }
        let key: [UInt8]? = offset % 11 == 0 ? nil : Array("key-\(offset % 37)".utf8)
        let headers = offset % 5 == 0 ? [Header(key: "h", value: offset % 10 == 0 ? nil : Array("\(offset)".utf8))] : []
        return Record(
            offset: offset, timestamp: baseTimestamp + Int64(offset), key: key, value: value, headers: headers)
    }

    /// Options for small segments and batches, so that a few thousand
    /// records make several segments of many batches.
    static func options(segmentBytes: UInt64 = 64 << 10, batchMaxBytes: UInt32 = 2048) -> EventLogOptions {
        var options = EventLogOptions()
        options.segmentBytes = segmentBytes
        options.batchMaxBytes = batchMaxBytes
        options.linger = .microseconds(10_000_000)  // only flush writes: batches are deterministic
        return options
    }

    /// Appends records `range` to `log`, flushing every `flushEvery`.
    static func append(_ range: Range<UInt64>, to log: EventLog, flushEvery: Int = 50) throws {
        for offset in range {
            #expect(try log.append(record(offset)) == offset)
            if (offset + 1) % UInt64(flushEvery) == 0 { try log.flush() }
        }
        try log.flush()
    }

    /// A closed log of `count` records.
    static func writeLog(_ path: String, count: UInt64, options: EventLogOptions = options()) throws {
        let log = try EventLog(path: path, options: options)
        try append(0..<count, to: log)
        try log.close()
    }
}

/// What reading a whole log gave: the records, checked against Sample, and
/// the errors met on the way.
struct ReadOutcome {
    var records: [Record] = []
    var errors: [EventLogError] = []
    /// Records that differ from what was written at their offset, or come out
    /// of order: must always be empty.
    var wrong: [UInt64] = []

    var offsets: [UInt64] { records.map(\.offset) }
}

enum Reader {
    /// Reads from the oldest offset to the end. At a damaged batch it seeks
    /// to the offset the error message names as the next intact batch, or
    /// else one offset further, as an application would.
    static func readAll(_ log: EventLog) throws -> ReadOutcome {
        var outcome = ReadOutcome()
        let cursor = try log.cursor(from: .oldest)
        var rounds = 0
        while rounds < 1_000_000 {
            rounds += 1
            do {
                guard let record = try cursor.next() else { break }
                if record != Sample.record(record.offset)
                    || (outcome.records.last.map { $0.offset >= record.offset } ?? false)
                {
                    outcome.wrong.append(record.offset)
                }
                outcome.records.append(record)
            } catch {
                outcome.errors.append(error)
                guard error.code == .corrupt, outcome.errors.count < 10_000 else { break }
                let here = cursor.offset
                if error.message.contains("no intact batch follows") {
                    // The rest of that segment is lost: go on at the next one.
                    guard let next = nextSegmentBase(after: error.message) else { break }
                    try cursor.seek(to: .offset(max(next, here + 1)))
                } else {
                    let named = resumeOffset(in: error.message).map { max($0, here + 1) }
                    try cursor.seek(to: .offset(named ?? here + 1))
                }
            }
        }
        return outcome
    }

    static func readAll(path: String, readOnly: Bool) throws -> ReadOutcome {
        var options = EventLogOptions()
        options.readOnly = readOnly
        let log = try EventLog(path: path, options: options)
        defer { try? log.close() }
        return try readAll(log)
    }

    /// The base of the segment after the one whose path starts `message`.
    static func nextSegmentBase(after message: String) -> UInt64? {
        guard let range = message.range(of: ".log: ") else { return nil }
        let file = String(message[..<range.lowerBound]) + ".log"
        let directory = (file as NSString).deletingLastPathComponent
        let name = (file as NSString).lastPathComponent
        return Surgery.segments(directory).map { ($0 as NSString).lastPathComponent }.filter { $0 > name }
            .compactMap { UInt64($0.prefix(20)) }.first
    }

    /// The offset after "(offset N)" or "starts at offset N" in a message.
    static func resumeOffset(in message: String) -> UInt64? {
        for marker in ["(offset ", "starts at offset "] {
            guard let range = message.range(of: marker, options: .backwards) else { continue }
            let digits = message[range.upperBound...].prefix { $0.isNumber }
            if let value = UInt64(digits) { return value }
        }
        return nil
    }
}

/// Byte surgery on the files of a log directory.
enum Surgery {
    static func bytes(_ path: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: path) ?? Data())
    }

    static func write(_ path: String, _ bytes: [UInt8]) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    static func flipBit(_ path: String, byte: Int, bit: Int) {
        var contents = bytes(path)
        contents[byte] ^= UInt8(1 << bit)
        write(path, contents)
    }

    static func zero(_ path: String, _ range: Range<Int>) {
        var contents = bytes(path)
        for i in range where i < contents.count { contents[i] = 0 }
        write(path, contents)
    }

    static func truncate(_ path: String, to length: Int) {
        #expect(Foundation.truncate(path, off_t(length)) == 0)
    }

    /// The .log files of a directory, sorted (oldest first), as full paths.
    static func segments(_ directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".log") }.sorted().map { directory + "/" + $0 }
    }

    static func files(_ directory: String, suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { directory + "/" + $0 }
    }

    struct Batch {
        var position: Int
        var size: Int
        var baseOffset: UInt64
        var lastOffset: UInt64
        var recordCount: Int
    }

    /// The batches of a whole, undamaged segment file.
    static func batches(_ path: String) -> [Batch] {
        let data = bytes(path)
        var result: [Batch] = []
        var position = 0
        func load(_ at: Int, _ count: Int) -> UInt64 {
            (0..<count).reduce(0) { $0 << 8 | UInt64(data[at + $1]) }
        }
        while position + 61 <= data.count {
            let base = load(position, 8)
            let size = 12 + Int(load(position + 8, 4))
            let delta = load(position + 23, 4)
            let count = Int(load(position + 57, 4))
            guard size >= 61, position + size <= data.count else { break }
            result.append(
                Batch(position: position, size: size, baseOffset: base, lastOffset: base + delta, recordCount: count))
            position += size
        }
        return result
    }

    /// Writes a log of `count` records at `path`, then changes the bytes of
    /// its first segment with `damage`, given the segment's second batch,
    /// which it returns.
    static func damageSecondBatch(
        ofLogAt path: String, count: UInt64 = 400, _ damage: (inout [UInt8], Batch) -> Void
    ) throws -> Batch {
        try Sample.writeLog(path, count: count)
        let segment = segments(path)[0]
        let batch = batches(segment)[1]
        var contents = bytes(segment)
        damage(&contents, batch)
        write(segment, contents)
        return batch
    }

    /// Copies every file of `source` into a new directory `destination`.
    static func copyDirectory(_ source: String, to destination: String) throws {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: source + "/" + name, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                try copyDirectory(source + "/" + name, to: destination + "/" + name)
            } else {
                write(destination + "/" + name, bytes(source + "/" + name))
            }
        }
    }

    /// The files of a log as a writer killed now would leave them: the copy
    /// is taken while `log` is still open (no trim, no final sync), and what
    /// was written through the mappings is in the page cache, so a copy reads
    /// exactly what a process crash leaves on disk.
    static func crashSnapshot(of log: EventLog, at source: String, to destination: String) throws {
        _ = log
        try copyDirectory(source, to: destination)
    }
}

/// The code of the error `body` throws, or nil if it succeeds.
func errorCode<R>(_ body: () throws(EventLogError) -> R) -> EventLogError.Code? { thrownError(body)?.code }

func errorMessage<R>(_ body: () throws(EventLogError) -> R) -> String? { thrownError(body)?.message }

func thrownError<R>(_ body: () throws(EventLogError) -> R) -> EventLogError? {
    do {
        _ = try body()
        return nil
    } catch { return error }
}
