// SPDX-License-Identifier: Apache-2.0
// A libFuzzer target over everything that parses bytes read from disk: the
// batch header parser and validator, the LZ4 frame reader, the record
// decoder, the segment scanner used by recovery, the resynchronisation that
// skips damage, and the whole-segment check behind verify (with .index and
// .timeindex bytes). None may trap, hang or read out of bounds on any input.
//
// The first five input bytes steer: flags (bit 0: recompute the CRC of every
// batch the header walk finds, so that mutations reach the decoders behind
// the CRC check; bit 1: treat the bytes as the last segment; bit 2: give a
// published end), then the lengths of the .index and .timeindex parts; the
// rest is the segment.
//
// Built by Tests/fuzz/run_fuzz.sh with `swift build --sanitize=fuzzer
// --sanitize=address -Xswiftc -DFUZZING`, where libFuzzer supplies main. In a
// plain build the target is a replayer instead: `FuzzBatchDecoder FILE...`
// runs each file (a crash artifact, say) through the same code.
import EventLogFormat
import EventLogStorage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzInput.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

enum FuzzInput {
    static func run(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 5 else { return }
        let flags = input[0]
        var rest = Array(input[5...])
        let offsetIndexLength = min(Int(input[1]) * 8, rest.count)
        let timeIndexLength = min(Int(input[2]) * 12 + Int(input[3] & 3), rest.count - offsetIndexLength)
        let offsetIndex = Array(rest[0..<offsetIndexLength])
        let timeIndex = Array(rest[offsetIndexLength..<offsetIndexLength + timeIndexLength])
        rest.removeFirst(offsetIndexLength + timeIndexLength)
        if flags & 1 != 0 { fixCRCs(&rest) }
        rest.withUnsafeBytes { segment in
            scan(segment)
            decodeEveryHeader(segment)
            check(segment, offsetIndex: offsetIndex, timeIndex: timeIndex, flags: flags, published: Int(input[4]))
        }
    }

    /// Recomputes the CRC of each batch a header walk finds.
    static func fixCRCs(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            var position = 0
            while raw.count - position >= RecordBatchHeader.size {
                let window = UnsafeRawBufferPointer(rebasing: raw[position...])
                guard let header = try? RecordBatchHeader(parsing: window), header.totalSize <= window.count else {
                    return
                }
                RecordBatch.updateCRC(
                    UnsafeMutableRawBufferPointer(rebasing: raw[position..<position + header.totalSize]))
                position += header.totalSize
            }
        }
    }

    /// Recovery's scan, with and without CRCs, and resynchronisation from
    /// where it stops, alone and as the index rebuild's scan does it.
    static func scan(_ segment: UnsafeRawBufferPointer) {
        for checkCRC in [true, false] {
            let outcome = BatchScanner.scan(segment, from: 0, limit: segment.count, checkCRC: checkCRC)
            precondition(outcome.validEnd <= segment.count)
            if let next = BatchResync.nextBatch(after: outcome.validEnd, in: segment, limit: segment.count) {
                precondition(next > outcome.validEnd && BatchResync.isIntact(segment, at: next, limit: segment.count))
            }
            var previous = -1
            let resynced = BatchScanner.scan(
                segment, from: 0, limit: segment.count, checkCRC: checkCRC, onDamage: .resync
            ) {
                precondition($0.position > previous)
                previous = $0.position
            }
            precondition(resynced.validEnd == outcome.validEnd)
        }
    }

    /// Every header a walk finds, decoded behind the CRC's back: the LZ4
    /// reader and the record decoder see whatever the payload holds.
    static func decodeEveryHeader(_ segment: UnsafeRawBufferPointer) {
        let reference = BatchDecoder(bufferCapacity: 4096, limit: 1 << 24)
        // Starts tiny, so that its buffer moves under the records decoded so far.
        let decoder = BatchDecoder(bufferCapacity: 16, limit: 1 << 24)
        let buffer = ByteBuffer(capacity: 4096)
        var records: [RecordView] = []
        var headers: [HeaderView] = []
        var position = 0
        while segment.count - position >= RecordBatchHeader.size {
            let window = UnsafeRawBufferPointer(rebasing: segment[position...])
            guard let header = try? RecordBatchHeader(parsing: window) else { return }
            let end = min(header.totalSize, window.count)
            _ = try? RecordBatch.validate(UnsafeRawBufferPointer(rebasing: window.prefix(end)))
            let payload = UnsafeRawBufferPointer(rebasing: window[RecordBatchHeader.size..<end])
            if header.compression == .lz4 {
                // Decompressing first and decoding afterwards is the reference.
                buffer.removeAll()
                records.removeAll(keepingCapacity: true)
                headers.removeAll(keepingCapacity: true)
                var outcome: Result<[DecodedRecord], FormatError>
                do {
                    let count = try reference.lz4.decompress(payload, into: buffer, limit: 1 << 24)
                    let section = UnsafeRawBufferPointer(start: buffer.baseAddress, count: count)
                    try RecordDecoder.decode(recordsSection: section, header: header, into: &records, headers: &headers)
                    outcome = .success(DecodedRecord.copies(records, headers))
                } catch {
                    outcome = .failure(error)
                }
                decodeWhileDecompressing(payload, header, decoder: decoder, agreeingWith: outcome)
            } else {
                _ = try? reference.decode(header, payload: payload)
            }
            for record in reference.records {
                precondition(record.headerStart + record.headerCount <= reference.headers.count)
            }
            position += max(end, RecordBatchHeader.size)
        }
    }

    /// Decoding while decompressing (what cursors do) must give what
    /// decompressing first and decoding afterwards gives: the same records,
    /// or an error; the same error unless the frame itself is damaged, in
    /// which case a damaged record before the damage may be reported first.
    static func decodeWhileDecompressing(
        _ payload: UnsafeRawBufferPointer, _ header: RecordBatchHeader, decoder: BatchDecoder,
        agreeingWith reference: Result<[DecodedRecord], FormatError>
    ) {
        do {
            try decoder.decode(header, payload: payload)
            guard case .success(let expected) = reference else { preconditionFailure("decoded a batch that fails") }
            precondition(
                DecodedRecord.copies(decoder.records, decoder.headers) == expected, "decoded different records")
        } catch {
            precondition(decoder.records.isEmpty && decoder.headers.isEmpty, "a failed decode left records behind")
            guard case .failure(let expected) = reference else { preconditionFailure("failed on a good batch") }
            if expected.kind != .invalidLZ4Frame && expected.kind != .tooLarge && expected.kind != .truncated {
                precondition(error.kind == expected.kind && error.position == expected.position, "another error")
            }
        }
    }

    /// The verifier's whole-segment check, with index bytes.
    static func check(
        _ segment: UnsafeRawBufferPointer, offsetIndex: [UInt8], timeIndex: [UInt8], flags: UInt8, published: Int
    ) {
        offsetIndex.withUnsafeBytes { offsetBytes in
            timeIndex.withUnsafeBytes { timeBytes in
                var input = SegmentCheck.Input(bytes: segment, base: Int64(flags >> 4) * 1000, logPath: "fuzz.log")
                input.offsetIndex = flags & 8 != 0 ? nil : offsetBytes
                input.timeIndex = timeBytes
                input.isLast = flags & 2 != 0
                if flags & 4 != 0 {
                    input.publishedEnd = min(published * 61, segment.count)
                    input.publishedNextOffset = Int64(published)
                }
                input.previousNextOffset = flags & 0x80 != 0 ? Int64(published) : nil
                let result = SegmentCheck.check(input)
                precondition(
                    result.truncatedBytes <= segment.count && result.cutPosition.map { $0 <= segment.count } ?? true)
                precondition(result.records >= 0 && result.batches <= segment.count / RecordBatchHeader.size)
            }
        }
    }
}

/// A decoded record's contents, owned, for comparing two decodes.
struct DecodedRecord: Equatable {
    var offset: Int64
    var timestamp: Int64
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [[UInt8]?]

    static func copies(_ records: [RecordView], _ headers: [HeaderView]) -> [DecodedRecord] {
        records.map { record in
            DecodedRecord(
                offset: record.offset, timestamp: record.timestamp, key: record.key.map { Array($0) },
                value: record.value.map { Array($0) },
                headers: headers[record.headerStart..<record.headerStart + record.headerCount].flatMap {
                    [Array($0.key), $0.value.map { Array($0) }]
                })
        }
    }
}

#if !FUZZING
    /// Replays inputs without libFuzzer: each file named on the command line.
    @main
    struct Replay {
        static func main() {
            var count = 0
            for path in CommandLine.arguments.dropFirst() {
                guard let bytes = readFile(path) else {
                    print("cannot read \(path)")
                    continue
                }
                bytes.withUnsafeBufferPointer { _ = fuzzOneInput($0.baseAddress, $0.count) }
                count += 1
            }
            print("replayed \(count) inputs without a crash")
        }

        static func readFile(_ path: String) -> [UInt8]? {
            guard let file = try? FileHandle.open(path, flags: 0) else { return nil }
            guard let size = try? file.size() else { return nil }
            var bytes = [UInt8](repeating: 0, count: size)
            let read = bytes.withUnsafeMutableBytes { (try? file.read(into: $0, at: 0)) ?? -1 }
            return read == size ? bytes : nil
        }
    }
#endif
