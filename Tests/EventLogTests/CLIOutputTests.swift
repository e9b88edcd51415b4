// SPDX-License-Identifier: Apache-2.0
// How `eventlog dump` and `tail` write: JSON lines byte for byte as the
// records hold them, --format templates, values only, the batch view, and
// what happens when standard output fails or its reader goes away.
import EventLog
import Foundation
import Testing

@Suite struct CLIOutputTests {
    /// Values that test each path of the JSON writer: plain ASCII, escapes
    /// found within and after the first eight bytes, text beyond ASCII, and
    /// bytes that are not text (C1 controls, DEL, invalid UTF-8, NUL).
    static let values: [[UInt8]?] = [
        Array("plain ascii, longer than eight bytes".utf8), Array("tab\there".utf8),
        Array("12345678\"quoted\" and back\\slash".utf8), Array("line\nbreak\r\n".utf8), Array("é ü 日本 🙂".utf8),
        [], nil, [0xC2, 0x85], [0x7F], [0xFF, 0x41], Array("abcdefgh".utf8) + [0], Array("a".utf8), Array("ab".utf8),
        Array("abc".utf8), Array(repeating: 0x80, count: 17),
    ]

    static func makeLog(_ path: String) throws -> [Record] {
        let log = try EventLog(path: path)
        var records: [Record] = []
        for (i, value) in values.enumerated() {
            var record = Record(
                timestamp: 1_764_410_400_000 + Int64(i), key: i % 2 == 0 ? Array("k\"\(i)".utf8) : nil, value: value,
                headers: [Header(key: "h", value: value), Header(key: "q\"t", value: nil)])
            record.offset = UInt64(i)
            records.append(record)
            try log.append(record)
        }
        try log.close()
        return records
    }

    @Test func jsonLinesHoldTheRecordsExactly() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = try Self.makeLog(path)
        let result = try CLI.run(["dump", path])
        #expect(result.status == 0, "\(result.stderr)")
        try #require(result.lines.count == records.count)
        for (line, record) in zip(result.lines, records) { try CLITests.expect(line, matches: record) }
        // The same through tail, which prints records read one at a time.
        let tail = try CLI.run(["tail", path, "--last", "100"])
        #expect(tail.stdout == result.stdout)
    }

    @Test func escapesAtEveryPositionOfAWordRoundTrip() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path)
        var generator = SeededGenerator(seed: 14)
        let alphabet = Array("ab\"\\\n\t\r{}:,".utf8)
        var records: [Record] = []
        for i in 0..<400 {
            let count = Int(generator.next() % 40)
            var value = (0..<count).map { _ in UInt8(ascii: "x") }
            // One to three bytes to escape, anywhere in the value.
            for _ in 0..<(count == 0 ? 0 : 1 + Int(generator.next() % 3)) {
                value[Int(generator.next() % UInt64(count))] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
            }
            var record = Record(timestamp: 1_764_410_400_000, key: nil, value: value)
            record.offset = UInt64(i)
            records.append(record)
            try log.append(record)
        }
        try log.close()
        let result = try CLI.run(["dump", path])
        try #require(result.lines.count == records.count)
        for (line, record) in zip(result.lines, records) { try CLITests.expect(line, matches: record) }
    }

    @Test func textIsAStringAndOtherBytesAreBase64() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try Self.makeLog(path)
        let lines = try CLI.run(["dump", path]).lines
        #expect(lines[1].contains(#""value":"tab\there""#))
        #expect(lines[2].contains(#""value":"12345678\"quoted\" and back\\slash""#))
        #expect(lines[4].contains(#""value":"é ü 日本 🙂""#))
        #expect(lines[5].contains(#""value":"""#))
        #expect(lines[6].contains(#""value":null"#))
        #expect(lines[7].contains(#""value_b64":"woU=""#))
        #expect(lines[8].contains(#""value_b64":"fw==""#))
        #expect(lines[9].contains(#""headers":{"h":{"b64":"/0E="},"q\"t":null}"#))
        #expect(lines[0].hasPrefix(#"{"offset":0,"timestamp":1764410400000,"key":"k\"0","#))
    }

    @Test func formatTemplatesPrintEachField() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = try Self.makeLog(path)
        let result = try CLI.run([
            "dump", path, "--from", "1", "--to", "3", "--format", #"%o|%T|%t|%k|%K|%V|%S|%h|%%\t%v\n"#,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout
                == "1|1764410400001|2025-11-29T10:00:00.001Z||-1|8|8|h=tab\there,q\"t|%\ttab\there\n"
                + "2|1764410400002|2025-11-29T10:00:00.002Z|k\"2|3|31|31|h=12345678\"quoted\" and back\\slash,q\"t|%\t"
                + "12345678\"quoted\" and back\\slash\n")
        let lengths = try CLI.run(["tail", path, "--last", "100", "--format", "%o %K %V\n"])
        #expect(
            lengths.lines
                == records.map { "\($0.offset) \($0.key.map { $0.count } ?? -1) \($0.value.map { $0.count } ?? -1)" })
    }

    @Test func valuesPrintsTheRawValuesOnePerLine() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let records = try Self.makeLog(path)
        for command in [["dump", path, "--values"], ["tail", path, "--last", "100", "--values"]] {
            let output = try CLI.runForBytes(command)
            #expect(output.status == 0)
            #expect(output.stdout == records.flatMap { ($0.value ?? []) + [0x0A] })
        }
    }

    @Test(arguments: [
        ("%p", "unknown field '%p'"), ("%", "lone '%'"), (#"\x"#, #"unknown escape '\x'"#), (#"a\"#, #"lone '\'"#),
    ])
    func aBadTemplateIsAUsageError(template: String, message: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try Self.makeLog(path)
        let result = try CLI.run(["dump", path, "--format", template])
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func batchesListEachBatchAsStored() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path)
        let result = try CLI.run(["dump", path, "--batches"])
        #expect(result.status == 0, "\(result.stderr)")
        var batches: [[String: String]] = []
        for line in result.lines {
            let words = line.split(separator: " ").map(String.init)
            var fields = ["file": words[0]]
            for i in stride(from: 1, to: words.count - 1, by: 2) { fields[String(words[i].dropLast())] = words[i + 1] }
            batches.append(fields)
        }
        // makeLog flushes every ten records: twelve batches of ten.
        #expect(batches.count == 12)
        for (i, batch) in batches.enumerated() {
            #expect(batch["baseOffset"] == String(i * 10))
            #expect(batch["lastOffset"] == String(i * 10 + 9))
            #expect(batch["count"] == "10")
            #expect(batch["isvalid"] == "true")
            #expect(batch["compresscodec"] == "lz4" || batch["compresscodec"] == "none")
            #expect(batch["baseTimestamp"] == String(CLITests.baseTimestamp + Int64(i) * 10_000))
            #expect(batch["maxTimestamp"] == String(CLITests.baseTimestamp + Int64(i) * 10_000 + 9000))
        }
        // Positions follow from sizes within each segment file.
        var expected: [String: Int] = [:]
        for batch in batches {
            let file = batch["file"]!
            #expect(Int(batch["position"]!) == expected[file, default: 0])
            expected[file, default: 0] += Int(batch["size"]!)!
        }
        for (file, end) in expected {
            let size = try FileManager.default.attributesOfItem(atPath: path + "/" + file)[.size] as? Int ?? 0
            #expect(size >= end)
        }
        let range = try CLI.run(["dump", path, "--batches", "--from", "15", "--to", "31"])
        #expect(range.lines.count == 3 && range.lines[0].contains("baseOffset: 10 "), "\(range.stdout)")
    }

    @Test func aBatchWithABadCRCIsListedAsInvalid() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path)
        let batches = try CLI.run(["dump", path, "--batches"]).lines
        let second = batches[1].split(separator: " ").map(String.init)
        let file = path + "/" + second[0]
        let position = Int(second[second.firstIndex(of: "position:")! + 1])!
        // Flip a byte of the records, which the CRC covers.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
        try handle.seek(toOffset: UInt64(position + 70))
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: UInt64(position + 70))
        try handle.write(contentsOf: [byte ^ 0xFF])
        try handle.close()
        let after = try CLI.run(["dump", path, "--batches"])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.lines.count == batches.count)
        #expect(after.lines[1].contains("isvalid: false"))
        #expect(after.lines.filter { $0.contains("isvalid: false") }.count == 1)
    }

    @Test func aFullDiskIsNamedOnStandardError() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path)
        for command in [["dump", path], ["dump", path, "--values"], ["info", path], ["tail", path]] {
            let result = try CLI.run(command, stdout: "/dev/full")
            #expect(result.status == 1, "\(command)")
            #expect(result.stderr == "eventlog: standard output: No space left on device\n", "\(command)")
        }
    }

    @Test func aReaderThatGoesAwayEndsTheDumpQuietly() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path)
        for i in 0..<50_000 { try log.append(Record(key: nil, value: Array("record \(i) of a dump cut short".utf8))) }
        try log.close()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = ["dump", path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Like `head -1`: read one line's worth, then close the pipe.
        _ = try output.fileHandleForReading.read(upToCount: 100)
        try output.fileHandleForReading.close()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(try errors.fileHandleForReading.readToEnd() == nil)
    }
}

extension CLI {
    /// Runs to completion with standard output going to the file `stdout`.
    static func run(_ arguments: [String], stdout: String) throws -> Result {
        let files = TemporaryDirectory("cli")
        let errPath = files.child("err")
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: "",
            stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
    }

    /// Runs to completion; standard output as bytes.
    static func runForBytes(_ arguments: [String]) throws -> (status: Int32, stdout: [UInt8]) {
        let files = TemporaryDirectory("cli")
        let outPath = files.child("out")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        let result = try run(arguments, stdout: outPath)
        return (result.status, Array(FileManager.default.contents(atPath: outPath) ?? Data()))
    }
}
