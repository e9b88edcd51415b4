// SPDX-License-Identifier: Apache-2.0
// Kafka interop, both ways, through kafka-python (a test-only dependency the
// test script installs): logs written here parse and CRC-validate there, with
// Kafka's LZ4 framing and index meanings checked byte by byte; and segments
// built by kafka-python's MemoryRecordsBuilder read back here exactly.
import EventLog
import Foundation
import Testing

@Suite struct KafkaInteropTests {
    static let interopDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("interop").path

    @Test func logsWrittenHereReadInKafkaPython() throws {
        let dir = TemporaryDirectory()
        var expected: [Record] = []
        for (compression, name) in [(EventLogOptions.Compression.lz4, "lz4"), (.none, "none")] {
            var options = EventLogOptions()
            options.compression = compression
            options.segmentBytes = 100_000
            options.batchMaxBytes = 96 << 10  // > 64 KiB: several LZ4 blocks per frame
            let path = dir.child(name)
            let log = try EventLog(path: path, options: options)
            expected = Self.sampleRecords(count: 4000)
            try log.append(contentsOf: expected)
            try log.close()
            #expect(dir.files(withSuffix: ".log", in: path).count > 2)
            let read = try Self.runKafkaRead(path, json: dir.child("\(name).jsonl"))
            #expect(read.count == expected.count)
            let mismatch = zip(read, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(mismatch == nil, "first difference at record \(mismatch ?? -1) (\(name))")
        }
    }

    @Test func segmentsBuiltByKafkaPythonReadBackExactly() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("kafka")
        let expected = try Self.runPython(
            ["kafka_write.py", path, "--seed", "7", "--json", dir.child("expected.jsonl")],
            json: dir.child("expected.jsonl"))
        #expect(expected.count > 100)
        var options = EventLogOptions()
        options.readOnly = true
        let log = try EventLog(path: path, options: options)
        let cursor = try log.cursor(from: .oldest)
        let read = try cursor.records()
        #expect(read.count == expected.count)
        let mismatch = zip(read, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(mismatch == nil, "first difference at record \(mismatch ?? -1)")
        #expect(log.endOffset == UInt64(expected.count))
        // Seeks work on foreign segments too, with and without index files,
        // and in frames whose blocks start inside records: twice, as a
        // point read after the first into a batch may read one block.
        for _ in 0..<2 {
            for target in expected.indices {
                try cursor.seek(to: .offset(UInt64(target)))
                #expect(try cursor.next() == expected[target], "offset \(target)")
            }
        }
    }

    static func sampleRecords(count: Int) -> [Record] {
        var generator = SeededGenerator(seed: 99)
        return (0..<count).map { i in
            let text = "{\"user\":\"user-\(i % 97)\",\"event\":\"click\",\"n\":\(i),\"r\":\(generator.next() % 1000)}"
            var value: [UInt8]? = Array(text.utf8)
            if i % 50 == 7 { value = nil }
            if i % 777 == 3 { value = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
            return Record(
                offset: UInt64(i), timestamp: 1_700_000_000_000 + Int64(i) * 3 - (i % 5 == 0 ? 100 : 0),
                key: i % 11 == 0 ? nil : (i % 13 == 0 ? [] : Array("user-\(i % 97)".utf8)), value: value,
                headers: i % 4 == 0
                    ? [Header(key: "trace", value: Array("t\(i)".utf8)), Header(key: "src", value: nil)] : [])
        }
    }

    static func runKafkaRead(_ path: String, json: String) throws -> [Record] {
        try runPython(["kafka_read.py", path, "--json", json], json: json)
    }

    /// Runs a script from Tests/interop and parses the JSON lines it wrote.
    static func runPython(_ arguments: [String], json: String) throws -> [Record] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", interopDirectory + "/" + arguments[0]] + arguments.dropFirst()
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments[0]) failed: \(text)")
        guard process.terminationStatus == 0 else { return [] }
        let lines = try String(contentsOfFile: json, encoding: .utf8).split(separator: "\n")
        return try lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            func bytes(_ value: Any?) -> [UInt8]? {
                guard let text = value as? String else { return nil }
                return Array(Data(base64Encoded: text)!)
            }
            let headers = (object["headers"] as! [[Any]]).map { pair in
                Header(key: pair[0] as! String, value: bytes(pair[1]))
            }
            return Record(
                offset: (object["offset"] as! NSNumber).uint64Value,
                timestamp: (object["timestamp"] as! NSNumber).int64Value,
                key: bytes(object["key"]), value: bytes(object["value"]), headers: headers)
        }
    }
}
