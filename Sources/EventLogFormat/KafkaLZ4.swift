// SPDX-License-Identifier: Apache-2.0
// Kafka's LZ4 framing (Docs/FORMAT.md §5): one LZ4 frame per batch, written
// as Kafka's Lz4BlockOutputStream writes it (FLG 0x60, BD 0x40, HC 0x82,
// independent blocks of at most 64 KiB, raw blocks flagged with the high bit,
// EndMark, no checksums). A batch's records are framed in smaller blocks that
// end at record boundaries (compressRecords), so a point read can decompress
// one block; readers never rely on that for correctness (Docs/FORMAT.md). The
// reader is in KafkaLZ4Reader.swift.
//
// The framing is written by hand around liblz4's *block* API rather than
// produced by its LZ4F frame API: the frame bytes are then fixed by this
// file, not by liblz4 defaults and heuristics (linked blocks by default, and
// LZ4F_compressFrame silently changing block mode and size code for small
// inputs), and the reader must parse the descriptor itself anyway to apply
// Kafka's rules and report byte positions. Not thread-safe: it owns a reusable
// compression state; use one instance per thread or owner.
import CLZ4

package final class KafkaLZ4 {
    static let magic: UInt32 = 0x184D_2204
    /// Version 01, independent blocks, no block checksum, no content size, no content checksum, no dictID.
    static let flagByte: UInt8 = 0x60
    /// Block maximum size code 4: 64 KiB, Kafka's BLOCKSIZE_64KB.
    static let blockDescriptorByte: UInt8 = 0x40
    /// (XXH32(`60 40`) >> 8) & 0xFF; the reader recomputes it for whatever descriptor it gets.
    static let headerChecksumByte: UInt8 = 0x82
    static let headerSize = 7
    static let blockSize = 64 << 10
    static let uncompressedFlag: UInt32 = 0x8000_0000

    /// LZ4_compress_fast_extState resets it for each block, which keeps blocks independent.
    private let state: UnsafeMutableRawPointer

    package init() {
        state = UnsafeMutableRawPointer.allocate(byteCount: Int(LZ4_sizeofState()), alignment: 16)
    }

    deinit { state.deallocate() }

    /// Compresses `source` as one Kafka-style LZ4 frame of 64 KiB blocks
    /// appended to `output`; returns the bytes written. Throws `.tooLarge`
    /// for a source over Int32.max bytes, which no batch could hold.
    package func compress(_ source: UnsafeRawBufferPointer, into output: ByteBuffer) throws(FormatError) -> Int {
        try compress(source, into: output) { source, start in min(Self.blockSize, source.count - start) }
    }

    /// Compresses a records section like `compress`, but each block holds
    /// whole records, as many as fit in `recordBlockTarget` bytes (one record
    /// at least; a record over 64 KiB is cut into 64 KiB blocks). Bytes that
    /// do not parse as records are cut into 64 KiB blocks: the frame is valid
    /// whatever `source` holds.
    package func compressRecords(_ source: UnsafeRawBufferPointer, into output: ByteBuffer) throws(FormatError) -> Int {
        // The end of a record larger than a block while it is cut into 64
        // KiB blocks, so that the block after it starts at a record again.
        var largeRecordEnd = 0
        return try compress(source, into: output) { source, start in
            if start < largeRecordEnd { return min(Self.blockSize, largeRecordEnd - start) }
            guard let length = RecordBoundaries.wholeRecords(source, from: start, target: Self.recordBlockTarget)
            else { return min(Self.blockSize, source.count - start) }
            if length > Self.blockSize { largeRecordEnd = start + length }
            return min(Self.blockSize, length)
        }
    }

    /// Compresses a records section like `compressRecords`, with blocks
    /// ending at `blockEnds` (increasing positions inside `source`, as
    /// RecordBlockCuts chose them while the records were encoded); a block
    /// over 64 KiB is cut into 64 KiB blocks, the last ending at its end.
    func compressRecords(_ source: UnsafeRawBufferPointer, endingBlocksAt blockEnds: [Int], into output: ByteBuffer)
        throws(FormatError) -> Int
    {
        var nextEnd = 0
        return try compress(source, into: output) { source, start in
            while nextEnd < blockEnds.count && blockEnds[nextEnd] <= start { nextEnd += 1 }
            let end = nextEnd < blockEnds.count ? min(blockEnds[nextEnd], source.count) : source.count
            return min(Self.blockSize, end - start)
        }
    }

    /// What a block of whole records holds at most: small enough that a point
    /// read decompresses little, large enough that the frame is hardly bigger
    /// than one of 64 KiB blocks (blocks are compressed independently).
    static let recordBlockTarget = 16 << 10

    private func compress(
        _ source: UnsafeRawBufferPointer, into output: ByteBuffer,
        nextBlockLength: (UnsafeRawBufferPointer, Int) -> Int
    ) throws(FormatError) -> Int {
        guard source.count <= Int(Int32.max) else {
            throw FormatError(
                kind: .tooLarge, position: 0, detail: "\(source.count) bytes are too many for one batch")
        }
        let start = output.count
        output.reserveCapacity(start + Self.headerSize + 4)
        var frame = output.baseAddress + start
        frame.storeBytes(of: Self.magic.littleEndian, as: UInt32.self)
        frame.storeBytes(of: Self.flagByte, toByteOffset: 4, as: UInt8.self)
        frame.storeBytes(of: Self.blockDescriptorByte, toByteOffset: 5, as: UInt8.self)
        frame.storeBytes(of: Self.headerChecksumByte, toByteOffset: 6, as: UInt8.self)
        var written = Self.headerSize
        var consumed = 0
        while consumed < source.count {
            let length = nextBlockLength(source, consumed)
            // A block never takes more than its input plus its size field;
            // room for the EndMark is kept too.
            output.reserveCapacity(start + written + 4 + length + 4)
            frame = output.baseAddress + start
            let block = source.baseAddress! + consumed
            let sizeField = frame + written
            // A budget of length - 1 makes liblz4 give up (return 0) on any
            // block that would not shrink, which Kafka stores raw.
            // Acceleration 1 is lz4-java's fast compressor, Kafka's default level.
            let compressed = Int(
                LZ4_compress_fast_extState(
                    state, block.assumingMemoryBound(to: CChar.self),
                    (sizeField + 4).assumingMemoryBound(to: CChar.self), Int32(length), Int32(length - 1), 1))
            if compressed > 0 {
                sizeField.storeBytes(of: UInt32(compressed).littleEndian, as: UInt32.self)
                written += 4 + compressed
            } else {
                sizeField.storeBytes(of: (UInt32(length) | Self.uncompressedFlag).littleEndian, as: UInt32.self)
                (sizeField + 4).copyMemory(from: block, byteCount: length)
                written += 4 + length
            }
            consumed += length
        }
        (frame + written).storeBytes(of: UInt32(0), as: UInt32.self)
        written += 4
        output.unsafeExtend(by: written)
        return written
    }
}

package struct LZ4BlockStart: Equatable {
    /// The position of the block's size field in the frame.
    package var framePosition: Int
    /// Where the block's data starts in the decompressed content.
    package var outputPosition: Int
}
