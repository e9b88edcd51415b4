// SPDX-License-Identifier: Apache-2.0
// Reading a Kafka LZ4 payload with Kafka's own rules (Lz4BlockInputStream and
// its FLG/BD validation): one frame, magic 0x184D2204, FLG version 01 with
// independent blocks and no dictID, BD code 4-7 with reserved bits clear, a
// correct header checksum. Optional block checksums are verified, and so is
// the content checksum, which Kafka reads but does not check; an optional
// content size must match. Bytes after the EndMark are ignored, as Kafka does.
import CLZ4

extension KafkaLZ4 {
    /// Decompresses one frame, appending to `output`; returns the bytes
    /// produced. Producing more than `limit` bytes throws `.tooLarge`, and
    /// `output` never needs room for more than `limit` plus one block (at
    /// most 4 MiB), so a hostile frame cannot make it grow without bound. On
    /// error `output` is left as it was.
    package func decompress(
        _ frame: UnsafeRawBufferPointer, into output: ByteBuffer, limit: Int
    ) throws(FormatError) -> Int {
        var blockStarts: [LZ4BlockStart] = []
        return try decompress(frame, into: output, limit: limit, blockStarts: &blockStarts) {
            (_: Int) throws(FormatError) in
        }
    }

    /// As `decompress(_:into:limit:)`, replacing `blockStarts` with where
    /// each block starts (empty after an error), and calling `afterBlock`
    /// after each block with the bytes produced so far (from where `output`
    /// ended), for work on a block while it is still in cache. An error
    /// `afterBlock` throws ends the decompression with it. `output` may move
    /// between calls.
    package func decompress(
        _ frame: UnsafeRawBufferPointer, into output: ByteBuffer, limit: Int, blockStarts: inout [LZ4BlockStart],
        afterBlock: (Int) throws(FormatError) -> Void
    ) throws(FormatError) -> Int {
        let start = output.count
        blockStarts.removeAll(keepingCapacity: true)
        do throws(FormatError) {
            guard let base = frame.baseAddress else { throw Self.truncated("frame header", at: 0) }
            return try Self.readFrame(
                base, count: frame.count, into: output, limit: limit, blocks: &blockStarts, afterBlock: afterBlock)
        } catch {
            output.truncate(to: start)
            blockStarts.removeAll(keepingCapacity: true)
            throw error
        }
    }

    private struct Descriptor {
        var blockMaximum: Int
        var hasBlockChecksums: Bool
        var hasContentChecksum: Bool
        var contentSize: Int?
        /// Where the first block starts.
        var size: Int
    }

    private static func readFrame(
        _ p: UnsafeRawPointer, count: Int, into output: ByteBuffer, limit: Int, blocks: inout [LZ4BlockStart],
        afterBlock: (Int) throws(FormatError) -> Void
    ) throws(FormatError) -> Int {
        let descriptor = try readDescriptor(p, count: count, limit: limit)
        let start = output.count
        var position = descriptor.size
        while true {
            guard count - position >= 4 else { throw truncated("block size", at: position) }
            let field = loadLE32(p, at: position)
            let length = Int(field & ~uncompressedFlag)
            if length == 0 {
                // The EndMark; Kafka treats a raw-flagged zero size the same way.
                let produced = output.count - start
                try checkEnd(p, count: count, at: position + 4, descriptor, output: output, produced: produced)
                return produced
            }
            guard length <= descriptor.blockMaximum else {
                throw invalid(
                    "block of \(length) bytes exceeds the frame's \(descriptor.blockMaximum)-byte maximum",
                    at: position)
            }
            let data = position + 4
            let checksumSize = descriptor.hasBlockChecksums ? 4 : 0
            guard count - data >= length + checksumSize else { throw truncated("block", at: position) }
            if descriptor.hasBlockChecksums {
                let stored = loadLE32(p, at: data + length)
                guard XXH32.hash(p + data, count: length) == stored else {
                    throw invalid("block checksum mismatch", at: data + length)
                }
            }
            let produced = output.count - start
            blocks.append(LZ4BlockStart(framePosition: position, outputPosition: produced))
            if field & uncompressedFlag != 0 {
                guard length <= limit - produced else { throw tooLarge(limit, at: position) }
                output.append(UnsafeRawBufferPointer(start: p + data, count: length))
            } else {
                output.reserveCapacity(output.count + descriptor.blockMaximum)
                let decoded = Int(
                    LZ4_decompress_safe(
                        (p + data).assumingMemoryBound(to: CChar.self),
                        (output.baseAddress + output.count).assumingMemoryBound(to: CChar.self),
                        Int32(length), Int32(descriptor.blockMaximum)))
                guard decoded >= 0 else { throw invalid("corrupt LZ4 block", at: position) }
                guard decoded <= limit - produced else { throw tooLarge(limit, at: position) }
                output.unsafeExtend(by: decoded)
            }
            try afterBlock(output.count - start)
            position = data + length + checksumSize
        }
    }

    /// Decompresses the start of one block of a frame `decompress` accepted
    /// before: at least `wanted` bytes of it (all of a shorter block), into
    /// `output` from its start. `framePosition` is the block's size field,
    /// as `decompress` reported it. Returns the bytes produced, or nil if
    /// the block is not what it was (its size field, bounds or data).
    package func decompressBlock(
        _ frame: UnsafeRawBufferPointer, at framePosition: Int, wanted: Int, into output: UnsafeMutableRawBufferPointer
    ) -> Int? {
        guard let p = frame.baseAddress, let destination = output.baseAddress, framePosition >= 0,
            frame.count - framePosition >= 4
        else { return nil }
        let field = Self.loadLE32(p, at: framePosition)
        let length = Int(field & ~Self.uncompressedFlag)
        let data = framePosition + 4
        guard length > 0, frame.count - data >= length else { return nil }
        if field & Self.uncompressedFlag != 0 {
            guard length <= output.count else { return nil }
            destination.copyMemory(from: p + data, byteCount: length)
            return length
        }
        let decoded = Int(
            LZ4_decompress_safe_partial(
                (p + data).assumingMemoryBound(to: CChar.self), destination.assumingMemoryBound(to: CChar.self),
                Int32(length), Int32(clamping: min(wanted, output.count)), Int32(clamping: output.count)))
        return decoded > 0 ? decoded : nil
    }

    private static func readDescriptor(
        _ p: UnsafeRawPointer, count: Int, limit: Int
    ) throws(FormatError) -> Descriptor {
        guard count >= headerSize else { throw truncated("frame header", at: 0) }
        let foundMagic = loadLE32(p, at: 0)
        guard foundMagic == magic else {
            throw invalid("LZ4 frame magic \(hex32(foundMagic)) is not \(hex32(magic))", at: 0)
        }
        let flags = p.load(fromByteOffset: 4, as: UInt8.self)
        guard flags >> 6 == 0b01 else { throw invalid("LZ4 frame version \(flags >> 6) is not 1", at: 4) }
        guard flags & 0x20 != 0 else {
            throw invalid("linked LZ4 blocks are not supported (Kafka rejects dependent blocks)", at: 4)
        }
        guard flags & 0x03 == 0 else {
            throw invalid(
                flags & 0x01 != 0 ? "LZ4 dictionary IDs are not supported" : "reserved LZ4 FLG bit 1 is set", at: 4)
        }
        let blockDescriptor = p.load(fromByteOffset: 5, as: UInt8.self)
        let sizeCode = (blockDescriptor >> 4) & 0x07
        guard blockDescriptor & 0x8F == 0, sizeCode >= 4 else {
            throw invalid("LZ4 block descriptor 0x\(String(blockDescriptor, radix: 16)) is invalid", at: 5)
        }
        let hasContentSize = flags & 0x08 != 0
        var descriptor = Descriptor(
            blockMaximum: 1 << (8 + 2 * Int(sizeCode)), hasBlockChecksums: flags & 0x10 != 0,
            hasContentChecksum: flags & 0x04 != 0, contentSize: nil, size: headerSize + (hasContentSize ? 8 : 0))
        guard count >= descriptor.size else { throw truncated("frame content size", at: 6) }
        let checksumAt = descriptor.size - 1
        let expected = UInt8(truncatingIfNeeded: XXH32.hash(p + 4, count: checksumAt - 4) >> 8)
        let stored = p.load(fromByteOffset: checksumAt, as: UInt8.self)
        guard stored == expected else {
            throw invalid(
                "LZ4 header checksum 0x\(String(stored, radix: 16)) is wrong, "
                    + "expected 0x\(String(expected, radix: 16))",
                at: checksumAt)
        }
        if hasContentSize {
            // Checked against the limit up front, so an oversized frame fails before any work.
            let declared = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
            guard declared <= UInt64(max(limit, 0)) else { throw tooLarge(limit, at: 6) }
            descriptor.contentSize = Int(declared)
        }
        return descriptor
    }

    private static func checkEnd(
        _ p: UnsafeRawPointer, count: Int, at position: Int, _ descriptor: Descriptor, output: ByteBuffer,
        produced: Int
    ) throws(FormatError) {
        if let declared = descriptor.contentSize, declared != produced {
            throw invalid("frame declares \(declared) bytes of content but holds \(produced)", at: 6)
        }
        guard descriptor.hasContentChecksum else { return }
        guard count - position >= 4 else { throw truncated("content checksum", at: position) }
        let stored = loadLE32(p, at: position)
        let computed = XXH32.hash(output.baseAddress + (output.count - produced), count: produced)
        guard computed == stored else {
            throw invalid(
                "content checksum mismatch: stored \(hex32(stored)), computed \(hex32(computed))", at: position)
        }
    }

    @inline(__always)
    private static func loadLE32(_ p: UnsafeRawPointer, at offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static func invalid(_ detail: String, at position: Int) -> FormatError {
        FormatError(kind: .invalidLZ4Frame, position: position, detail: detail)
    }

    private static func truncated(_ what: String, at position: Int) -> FormatError {
        FormatError(kind: .truncated, position: position, detail: "LZ4 \(what) runs past the end of the input")
    }

    private static func tooLarge(_ limit: Int, at position: Int) -> FormatError {
        FormatError(kind: .tooLarge, position: position, detail: "decompressed data exceeds the \(limit)-byte limit")
    }
}
