// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the EventLogFormat tests: hex literals, owned test records with a bridge to the
// builder's pointer API, and a batch → records decoder that copies the
// views out so results can be compared with ==.
import EventLogFormat
import Testing

/// Bytes from a hex string; spaces and newlines are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

struct TestHeader: Equatable {
    var key: [UInt8]
    var value: [UInt8]?
}

struct TestRecord: Equatable {
    var timestamp: Int64
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [TestHeader] = []
}

struct DecodedRecord: Equatable {
    var offset: Int64
    var timestamp: Int64
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [TestHeader]
}

/// Calls `body` with pointer views of `record`'s fields, as the builder takes them.
func withFields<R>(
    of record: TestRecord,
    _ body: (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeBufferPointer<HeaderBytes>) throws -> R
) rethrows -> R {
    // One arena holds every byte, so one withUnsafeBytes covers all the pointers.
    var arena: [UInt8] = []
    func place(_ bytes: [UInt8]?) -> Range<Int>? {
        guard let bytes else { return nil }
        arena += bytes
        return arena.count - bytes.count..<arena.count
    }
    let key = place(record.key)
    let value = place(record.value)
    let headers = record.headers.map { (place($0.key)!, place($0.value)) }
    return try arena.withUnsafeBytes { raw in
        func view(_ range: Range<Int>?) -> UnsafeRawBufferPointer? {
            range.map { UnsafeRawBufferPointer(rebasing: raw[$0]) }
        }
        let headerBytes = headers.map { HeaderBytes(key: view($0.0)!, value: view($0.1)) }
        return try headerBytes.withUnsafeBufferPointer { try body(view(key), view(value), $0) }
    }
}

func append(_ record: TestRecord, to builder: RecordBatchBuilder) {
    withFields(of: record) { key, value, headers in
        builder.append(timestamp: record.timestamp, key: key, value: value, headers: headers)
    }
}

/// One sealed batch holding `records`.
func makeBatch(_ records: [TestRecord], baseOffset: Int64 = 0, compression: Compression = .none) throws -> [UInt8] {
    let builder = RecordBatchBuilder(initialCapacity: 256)
    builder.reset(baseOffset: baseOffset)
    for record in records { append(record, to: builder) }
    let output = ByteBuffer(capacity: 64)
    let size = try builder.seal(compression: compression, into: output)
    #expect(size == output.count)
    return output.withUnsafeBytes { Array($0) }
}

/// Copies decoded views into owned values.
func materialize(_ records: [RecordView], _ headers: [HeaderView]) -> [DecodedRecord] {
    records.map { record in
        DecodedRecord(
            offset: record.offset, timestamp: record.timestamp, key: record.key.map { Array($0) },
            value: record.value.map { Array($0) },
            headers: headers[record.headerStart..<record.headerStart + record.headerCount].map {
                TestHeader(key: Array($0.key), value: $0.value.map { Array($0) })
            })
    }
}

/// Validates a batch (CRC included), decompresses it if needed and decodes its records.
func decodeBatch(_ batch: [UInt8]) throws -> (RecordBatchHeader, [DecodedRecord]) {
    try batch.withUnsafeBytes { raw in
        let header = try RecordBatch.validate(raw)
        let section = UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.size...])
        var records: [RecordView] = []
        var headers: [HeaderView] = []
        switch header.compression {
        case .none?:
            try RecordDecoder.decode(recordsSection: section, header: header, into: &records, headers: &headers)
            return (header, materialize(records, headers))
        case .lz4?:
            let scratch = ByteBuffer(capacity: 1024)
            _ = try KafkaLZ4().decompress(section, into: scratch, limit: 1 << 30)
            return try scratch.withUnsafeBytes { plain in
                try RecordDecoder.decode(recordsSection: plain, header: header, into: &records, headers: &headers)
                return (header, materialize(records, headers))
            }
        default:
            throw FormatError(kind: .unsupportedCompression, position: 21, detail: "test helper")
        }
    }
}

/// What a successful decode should give for `records` written from `baseOffset`.
func expected(_ records: [TestRecord], baseOffset: Int64 = 0) -> [DecodedRecord] {
    records.enumerated().map { index, record in
        DecodedRecord(
            offset: baseOffset + Int64(index), timestamp: record.timestamp, key: record.key, value: record.value,
            headers: record.headers)
    }
}

/// Runs `body` and checks that it throws a FormatError of `kind` at `position`.
func expectFormatError(
    _ kind: FormatError.Kind, at position: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(kind) but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as FormatError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        if let position {
            #expect(error.position == position, "\(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected FormatError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Random records covering the encoder's edge cases: null and empty keys,
/// values and header values, empty header keys, 0-5 headers, and timestamps
/// both before and after the first record's.
func randomRecords(count: Int, using rng: inout SeededGenerator, maxValue: Int = 300) -> [TestRecord] {
    let base = Int64.random(in: 1_000_000...1_800_000_000_000, using: &rng)
    func field(_ maxLength: Int) -> [UInt8]? {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return nil
        case 1: return []
        default: return rng.bytes(Int.random(in: 1...maxLength, using: &rng))
        }
    }
    return (0..<count).map { _ in
        let headers = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
            TestHeader(key: field(12) ?? [], value: field(40))
        }
        return TestRecord(
            timestamp: max(0, base + Int64.random(in: -100_000...100_000, using: &rng)),
            key: field(40), value: field(maxValue), headers: headers)
    }
}
