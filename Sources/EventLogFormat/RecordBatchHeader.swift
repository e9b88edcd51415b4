// SPDX-License-Identifier: Apache-2.0
// The 61-byte header of a Kafka RecordBatch v2 (Docs/FORMAT.md §3) and the
// codec ids of its attributes. Field offsets are a chain of constants, as in
// Kafka's DefaultRecordBatch, so the layout reads top to bottom and cannot
// drift. Parsing checks structure only; RecordBatch.validate adds the CRC.

/// Codec ids of attribute bits 0-2.
package enum Compression: Int8, Sendable {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4
}

package struct RecordBatchHeader: Equatable, Sendable {
    package static let baseOffsetOffset = 0
    package static let batchLengthOffset = baseOffsetOffset + 8
    package static let partitionLeaderEpochOffset = batchLengthOffset + 4
    package static let magicOffset = partitionLeaderEpochOffset + 4
    package static let crcOffset = magicOffset + 1
    package static let attributesOffset = crcOffset + 4
    package static let lastOffsetDeltaOffset = attributesOffset + 2
    package static let baseTimestampOffset = lastOffsetDeltaOffset + 4
    package static let maxTimestampOffset = baseTimestampOffset + 8
    package static let producerIdOffset = maxTimestampOffset + 8
    package static let producerEpochOffset = producerIdOffset + 8
    package static let baseSequenceOffset = producerEpochOffset + 2
    package static let recordsCountOffset = baseSequenceOffset + 4
    /// Bytes of the header; the records section starts here.
    package static let size = recordsCountOffset + 4
    /// baseOffset + batchLength: the bytes that batchLength does not count.
    package static let logOverhead = batchLengthOffset + 4
    /// The CRC covers [crcCoveredOffset, end of batch).
    package static let crcCoveredOffset = attributesOffset

    package static let currentMagic: Int8 = 2
    static let codecMask: Int16 = 0x07
    static let logAppendTimeFlag: Int16 = 0x08
    static let transactionalFlag: Int16 = 0x10
    static let controlFlag: Int16 = 0x20
    static let deleteHorizonFlag: Int16 = 0x40

    package var baseOffset: Int64
    /// Bytes after this field: the batch's total size minus 12.
    package var batchLength: Int32
    package var partitionLeaderEpoch: Int32
    package var magic: Int8
    package var crc: UInt32
    package var attributes: Int16
    package var lastOffsetDelta: Int32
    /// The first record's timestamp, or the delete horizon when hasDeleteHorizon.
    package var baseTimestamp: Int64
    package var maxTimestamp: Int64
    package var producerId: Int64
    package var producerEpoch: Int16
    package var baseSequence: Int32
    package var recordsCount: Int32

    /// A header with the values a non-idempotent, non-transactional producer writes by default.
    package init(
        baseOffset: Int64, batchLength: Int32, partitionLeaderEpoch: Int32 = -1, magic: Int8 = currentMagic,
        crc: UInt32 = 0, attributes: Int16 = 0, lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1, recordsCount: Int32
    ) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordsCount = recordsCount
    }

    /// Bytes of the whole batch, header included.
    package var totalSize: Int { Self.logOverhead + Int(batchLength) }
    /// Wrapping arithmetic: a parsed header is known not to overflow, and a
    /// hand-built one must not trap here either.
    package var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    package var nextOffset: Int64 { lastOffset &+ 1 }
    /// nil for the undefined codes 5-7.
    package var compression: Compression? { Compression(rawValue: Int8(attributes & Self.codecMask)) }
    package var isLogAppendTime: Bool { attributes & Self.logAppendTimeFlag != 0 }
    package var isTransactional: Bool { attributes & Self.transactionalFlag != 0 }
    package var isControl: Bool { attributes & Self.controlFlag != 0 }
    package var hasDeleteHorizon: Bool { attributes & Self.deleteHorizonFlag != 0 }

    /// Parses and checks structure only (no CRC), in layout order: at least 61
    /// bytes, batchLength >= 49, magic 2, codec 0-4, lastOffsetDelta >= 0,
    /// recordsCount >= 0, and a nextOffset that fits Int64 (so offset
    /// arithmetic on a parsed header never overflows).
    package init(parsing bytes: UnsafeRawBufferPointer) throws(FormatError) {
        guard bytes.count >= Self.size, let p = bytes.baseAddress else {
            throw FormatError(
                kind: .truncated, position: 0,
                detail: "batch header needs \(Self.size) bytes, only \(bytes.count) present")
        }
        baseOffset = BigEndian.load(p, at: Self.baseOffsetOffset)
        batchLength = BigEndian.load(p, at: Self.batchLengthOffset)
        guard Int(batchLength) >= Self.size - Self.logOverhead else {
            throw FormatError(
                kind: .invalidLength, position: Self.batchLengthOffset,
                detail: "batchLength \(batchLength) is below the minimum \(Self.size - Self.logOverhead)")
        }
        partitionLeaderEpoch = BigEndian.load(p, at: Self.partitionLeaderEpochOffset)
        magic = p.load(fromByteOffset: Self.magicOffset, as: Int8.self)
        guard magic == Self.currentMagic else {
            throw FormatError(
                kind: .unsupportedMagic, position: Self.magicOffset,
                detail: "batch magic \(magic) is not supported (only 2)")
        }
        crc = BigEndian.load(p, at: Self.crcOffset)
        attributes = BigEndian.load(p, at: Self.attributesOffset)
        guard Compression(rawValue: Int8(attributes & Self.codecMask)) != nil else {
            throw FormatError(
                kind: .unsupportedCompression, position: Self.attributesOffset,
                detail: "compression codec \(attributes & Self.codecMask) is undefined")
        }
        lastOffsetDelta = BigEndian.load(p, at: Self.lastOffsetDeltaOffset)
        guard lastOffsetDelta >= 0 else {
            throw FormatError(
                kind: .invalidRecord, position: Self.lastOffsetDeltaOffset,
                detail: "lastOffsetDelta \(lastOffsetDelta) is negative")
        }
        baseTimestamp = BigEndian.load(p, at: Self.baseTimestampOffset)
        maxTimestamp = BigEndian.load(p, at: Self.maxTimestampOffset)
        producerId = BigEndian.load(p, at: Self.producerIdOffset)
        producerEpoch = BigEndian.load(p, at: Self.producerEpochOffset)
        baseSequence = BigEndian.load(p, at: Self.baseSequenceOffset)
        recordsCount = BigEndian.load(p, at: Self.recordsCountOffset)
        guard recordsCount >= 0 else {
            throw FormatError(
                kind: .invalidRecord, position: Self.recordsCountOffset,
                detail: "recordsCount \(recordsCount) is negative")
        }
        guard baseOffset <= Int64.max - Int64(lastOffsetDelta) - 1 else {
            throw FormatError(
                kind: .invalidRecord, position: Self.baseOffsetOffset,
                detail: "baseOffset \(baseOffset) + lastOffsetDelta \(lastOffsetDelta) overflows")
        }
    }

    /// Writes the 61 header bytes, big-endian, `crc` as stored in this value.
    package func write(to destination: UnsafeMutableRawPointer) {
        BigEndian.store(baseOffset, to: destination, at: Self.baseOffsetOffset)
        BigEndian.store(batchLength, to: destination, at: Self.batchLengthOffset)
        BigEndian.store(partitionLeaderEpoch, to: destination, at: Self.partitionLeaderEpochOffset)
        destination.storeBytes(of: magic, toByteOffset: Self.magicOffset, as: Int8.self)
        BigEndian.store(crc, to: destination, at: Self.crcOffset)
        BigEndian.store(attributes, to: destination, at: Self.attributesOffset)
        BigEndian.store(lastOffsetDelta, to: destination, at: Self.lastOffsetDeltaOffset)
        BigEndian.store(baseTimestamp, to: destination, at: Self.baseTimestampOffset)
        BigEndian.store(maxTimestamp, to: destination, at: Self.maxTimestampOffset)
        BigEndian.store(producerId, to: destination, at: Self.producerIdOffset)
        BigEndian.store(producerEpoch, to: destination, at: Self.producerEpochOffset)
        BigEndian.store(baseSequence, to: destination, at: Self.baseSequenceOffset)
        BigEndian.store(recordsCount, to: destination, at: Self.recordsCountOffset)
    }

    /// Reads only baseOffset and batchLength (12 bytes), to walk a segment
    /// batch by batch; the length is not checked here.
    package static func peekOffsetAndLength(
        _ bytes: UnsafeRawBufferPointer
    ) throws(FormatError) -> (baseOffset: Int64, batchLength: Int32) {
        guard bytes.count >= logOverhead, let p = bytes.baseAddress else {
            throw FormatError(
                kind: .truncated, position: 0,
                detail: "batch length prefix needs \(logOverhead) bytes, only \(bytes.count) present")
        }
        return (BigEndian.load(p, at: baseOffsetOffset), BigEndian.load(p, at: batchLengthOffset))
    }
}
