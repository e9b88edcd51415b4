// SPDX-License-Identifier: Apache-2.0
// Kafka's LZ4 framing: the frames we write have Java's exact frame bytes and
// independent 64 KiB blocks (checked block by block, and by liblz4's own frame
// reader), and the reader accepts what Kafka accepts and rejects what it
// rejects. Frames of other shapes come from liblz4's LZ4F API.
import CLZ4
import EventLogFormat
import Testing

/// Text that compresses like real JSON events: repetitive, but not a single repeated block.
func jsonLikeText(bytes count: Int, seed: UInt64 = 1) -> [UInt8] {
    var rng = SeededGenerator(seed: seed)
    var text: [UInt8] = []
    text.reserveCapacity(count + 200)
    let events = ["click", "view", "purchase", "login", "logout"]
    while text.count < count {
        let id = UInt32.random(in: 0...999_999, using: &rng)
        let user = Int.random(in: 0...500, using: &rng)
        let event = events.randomElement(using: &rng)!
        let timestamp = 1_700_000_000_000 + Int.random(in: 0...86_400_000, using: &rng)
        let line = #"{"id":\#(id),"user":"user-\#(user)","event":"\#(event)","ts":\#(timestamp)}"# + "\n"
        text += Array(line.utf8)
    }
    return Array(text.prefix(count))
}

func kafkaFrame(_ source: [UInt8]) throws -> [UInt8] {
    let output = ByteBuffer(capacity: 16)
    let written = try source.withUnsafeBytes { try KafkaLZ4().compress($0, into: output) }
    #expect(written == output.count)
    return output.withUnsafeBytes { Array($0) }
}

func decompress(_ frame: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
    let output = ByteBuffer(capacity: 16)
    let produced = try frame.withUnsafeBytes { try KafkaLZ4().decompress($0, into: output, limit: limit) }
    #expect(produced == output.count)
    return output.withUnsafeBytes { Array($0) }
}

/// A frame written by liblz4's frame API with the given preferences.
func lz4fFrame(
    _ source: [UInt8], linked: Bool = false, contentSize: Bool = false, contentChecksum: Bool = false,
    blockChecksum: Bool = false, blockSize: LZ4F_blockSizeID_t = LZ4F_max64KB
) -> [UInt8] {
    var preferences = LZ4F_preferences_t()
    preferences.frameInfo.blockSizeID = blockSize
    preferences.frameInfo.blockMode = linked ? LZ4F_blockLinked : LZ4F_blockIndependent
    preferences.frameInfo.contentChecksumFlag = contentChecksum ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum
    preferences.frameInfo.blockChecksumFlag = blockChecksum ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum
    preferences.frameInfo.contentSize = contentSize ? UInt64(source.count) : 0
    let bound = LZ4F_compressFrameBound(source.count, &preferences)
    var frame = [UInt8](repeating: 0, count: bound)
    let size = frame.withUnsafeMutableBytes { out in
        source.withUnsafeBytes { LZ4F_compressFrame(out.baseAddress, bound, $0.baseAddress, $0.count, &preferences) }
    }
    precondition(LZ4F_isError(size) == 0, "LZ4F_compressFrame failed")
    return Array(frame[..<size])
}

/// liblz4's reference frame reader, to show our frames are standard LZ4 frames too.
func lz4fDecompress(_ frame: [UInt8], capacity: Int) -> [UInt8]? {
    var context: OpaquePointer?
    guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0 else { return nil }
    defer { LZ4F_freeDecompressionContext(context) }
    var output = [UInt8](repeating: 0, count: capacity)
    var produced = capacity
    var consumed = frame.count
    let status = output.withUnsafeMutableBytes { out in
        frame.withUnsafeBytes { LZ4F_decompress(context, out.baseAddress, &produced, $0.baseAddress, &consumed, nil) }
    }
    guard status == 0, consumed == frame.count else { return nil }
    return Array(output[..<produced])
}

struct Block {
    var isRaw: Bool
    var data: [UInt8]
}

/// The blocks of a frame with a 7-byte header and no checksums.
func blocks(of frame: [UInt8]) -> [Block] {
    var result: [Block] = []
    var position = 7
    while true {
        let field = frame[position..<position + 4].enumerated().reduce(UInt32(0)) {
            $0 | UInt32($1.element) << (8 * $1.offset)
        }
        position += 4
        if field == 0 { break }
        let length = Int(field & 0x7fff_ffff)
        result.append(Block(isRaw: field & 0x8000_0000 != 0, data: Array(frame[position..<position + length])))
        position += length
    }
    #expect(position == frame.count, "the EndMark must end the frame")
    return result
}

@Suite struct LZ4FramingTests {
    static let kafkaHeader = hex("04 22 4d 18 60 40 82")
    static let endMark: [UInt8] = [0, 0, 0, 0]

    @Test(arguments: [0, 1, 13, 1000, 65_535, 65_536, 65_537, 300_000])
    func framesHaveKafkasBytesAndRoundTrip(size: Int) throws {
        let source = jsonLikeText(bytes: size)
        let frame = try kafkaFrame(source)
        #expect(Array(frame.prefix(7)) == Self.kafkaHeader)
        #expect(Array(frame.suffix(4)) == Self.endMark)
        #expect(try decompress(frame) == source)
        #expect(lz4fDecompress(frame, capacity: max(size, 1)) == source)
    }

    @Test func emptyInputIsHeaderAndEndMark() throws {
        let frame = try kafkaFrame([])
        #expect(frame == Self.kafkaHeader + Self.endMark)
        #expect(try decompress(frame) == [])
    }

    @Test func megabyteOfJSONBecomesIndependent64KiBBlocks() throws {
        let source = jsonLikeText(bytes: 1 << 20)
        let frame = try kafkaFrame(source)
        #expect(frame.count < source.count / 2)
        let found = blocks(of: frame)
        #expect(found.count == 16)
        var joined: [UInt8] = []
        for block in found {
            #expect(!block.isRaw)
            // Each block decodes alone, without the previous block as dictionary: independent, and at most 64 KiB.
            var plain = [UInt8](repeating: 0, count: 65_536)
            let length = plain.withUnsafeMutableBytes { out in
                block.data.withUnsafeBytes {
                    LZ4_decompress_safe(
                        $0.baseAddress!.assumingMemoryBound(to: CChar.self),
                        out.baseAddress!.assumingMemoryBound(to: CChar.self), Int32($0.count), 65_536)
                }
            }
            #expect(length == 65_536)
            joined += plain.prefix(Int(max(length, 0)))
        }
        #expect(joined == source)
        #expect(try decompress(frame) == source)
        #expect(lz4fDecompress(frame, capacity: source.count) == source)
    }

    @Test func incompressibleBytesAreStoredRawWithTheHighBit() throws {
        var rng = SeededGenerator(seed: 42)
        let source = rng.bytes(200 << 10)
        let frame = try kafkaFrame(source)
        #expect(frame.count == 7 + 4 * 4 + source.count + 4)
        let found = blocks(of: frame)
        #expect(found.map(\.isRaw) == [true, true, true, true])
        #expect(found.map(\.data.count) == [65_536, 65_536, 65_536, 8_192])
        #expect(found.flatMap(\.data) == source)
        #expect(Array(frame[7..<11]) == [0x00, 0x00, 0x01, 0x80])
        #expect(try decompress(frame) == source)
    }

    @Test func rejectsLinkedBlocks() {
        let frame = lz4fFrame(jsonLikeText(bytes: 200_000), linked: true)
        #expect(frame[4] == 0x40)
        expectFormatError(.invalidLZ4Frame, at: 4) { _ = try decompress(frame) }
    }

    @Test(arguments: [UInt8(0x61), 0x62, 0xA0, 0x20, 0xE0])
    func rejectsDictionaryIDReservedBitsAndOtherVersions(flags: UInt8) throws {
        var frame = try kafkaFrame(Array("hello".utf8))
        frame[4] = flags
        expectFormatError(.invalidLZ4Frame, at: 4) { _ = try decompress(frame) }
    }

    @Test(arguments: [UInt8(0x30), 0x00, 0x41, 0x48, 0xC0, 0x80])
    func rejectsBadBlockDescriptors(descriptor: UInt8) throws {
        var frame = try kafkaFrame(Array("hello".utf8))
        frame[5] = descriptor
        expectFormatError(.invalidLZ4Frame, at: 5) { _ = try decompress(frame) }
    }

    /// 0x1a is the pre-0.10 "broken" checksum over magic + FLG + BD, which Kafka rejects in v2 batches.
    @Test(arguments: [UInt8(0x1a), 0x83, 0x00])
    func rejectsWrongHeaderChecksum(checksum: UInt8) throws {
        var frame = try kafkaFrame(Array("hello".utf8))
        frame[6] = checksum
        expectFormatError(.invalidLZ4Frame, at: 6) { _ = try decompress(frame) }
    }

    @Test func rejectsEveryTruncation() throws {
        var rng = SeededGenerator(seed: 3)
        for source in [jsonLikeText(bytes: 70_000), rng.bytes(300)] {
            let frame = try kafkaFrame(source)
            let output = ByteBuffer(capacity: 16)
            [UInt8]([9, 9, 9]).withUnsafeBytes { output.append($0) }
            for length in 0..<frame.count {
                expectFormatError(.truncated) {
                    _ = try frame[..<length].withUnsafeBytes {
                        try KafkaLZ4().decompress($0, into: output, limit: 1 << 30)
                    }
                }
                #expect(output.count == 3, "a failed decompression must leave the output as it was")
            }
        }
    }

    @Test func rejectsOversizedAndCorruptBlocks() {
        let oversized =
            Self.kafkaHeader + [0x01, 0x00, 0x01, 0x80] + [UInt8](repeating: 7, count: 65_537) + Self.endMark
        expectFormatError(.invalidLZ4Frame, at: 7) { _ = try decompress(oversized) }
        // A literal then a match 65535 bytes back, before the start of the block.
        let corrupt = Self.kafkaHeader + [0x04, 0x00, 0x00, 0x00, 0x1f, 0x41, 0xff, 0xff] + Self.endMark
        expectFormatError(.invalidLZ4Frame, at: 7) { _ = try decompress(corrupt) }
    }

    /// kafka-python's frames carry the content size (FLG 0x68); Kafka accepts them.
    @Test func acceptsContentSizeLikeKafkaPython() throws {
        let source = jsonLikeText(bytes: 242)
        let frame = lz4fFrame(source, contentSize: true)
        #expect(Array(frame.prefix(15)) == hex("04 22 4d 18 68 40 f2 00 00 00 00 00 00 00 74"))
        #expect(try decompress(frame) == source)

        // The same (valid) header over 10 bytes of content contradicts itself.
        let short = Array(frame.prefix(15)) + [0x0a, 0x00, 0x00, 0x80] + Array(source.prefix(10)) + Self.endMark
        expectFormatError(.invalidLZ4Frame, at: 6) { _ = try decompress(short) }
        // A declared size over the limit fails before anything is decompressed.
        expectFormatError(.tooLarge, at: 6) { _ = try decompress(frame, limit: 100) }
    }

    @Test func verifiesContentChecksum() throws {
        let source = jsonLikeText(bytes: 100_000)
        var frame = lz4fFrame(source, contentChecksum: true)
        #expect(frame[4] == 0x64)
        #expect(try decompress(frame) == source)
        frame[frame.count - 2] ^= 0x10
        expectFormatError(.invalidLZ4Frame, at: frame.count - 4) { _ = try decompress(frame) }
    }

    @Test func verifiesBlockChecksums() throws {
        let source = jsonLikeText(bytes: 100_000)
        var frame = lz4fFrame(source, blockChecksum: true)
        #expect(frame[4] == 0x70)
        #expect(try decompress(frame) == source)
        // The first block's checksum follows its data.
        let firstLength = Int(frame[7]) | Int(frame[8]) << 8 | Int(frame[9]) << 16
        frame[11 + firstLength] ^= 0x01
        expectFormatError(.invalidLZ4Frame, at: 11 + firstLength) { _ = try decompress(frame) }
    }

    @Test func accepts4MiBBlocks() throws {
        let source = jsonLikeText(bytes: 5 << 20)
        let frame = lz4fFrame(source, blockSize: LZ4F_max4MB)
        #expect(Array(frame[4..<6]) == [0x60, 0x70])
        #expect(try decompress(frame) == source)
    }

    @Test func ignoresBytesAfterTheEndMark() throws {
        let first = jsonLikeText(bytes: 5_000, seed: 1)
        let frame = try kafkaFrame(first)
        #expect(try decompress(frame + [0xde, 0xad, 0xbe, 0xef]) == first)
        // Kafka never reads a second frame, so neither do we.
        #expect(try decompress(frame + (try kafkaFrame(jsonLikeText(bytes: 5_000, seed: 2)))) == first)
    }

    @Test func limitCapsTheOutput() throws {
        let source = jsonLikeText(bytes: 1 << 20)
        let frame = try kafkaFrame(source)
        #expect(try decompress(frame, limit: source.count) == source)
        expectFormatError(.tooLarge) { _ = try decompress(frame, limit: source.count - 1) }
        expectFormatError(.tooLarge) { _ = try decompress(frame, limit: 100_000) }
        var rng = SeededGenerator(seed: 5)
        let raw = try kafkaFrame(rng.bytes(70_000))
        expectFormatError(.tooLarge, at: 7) { _ = try decompress(raw, limit: 1_000) }
    }
}
