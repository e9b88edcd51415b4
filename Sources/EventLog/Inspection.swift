// SPDX-License-Identifier: Apache-2.0
// Inspection: what a log directory holds, segment by segment (offsets, batch
// and record counts, time range, stored versus uncompressed bytes), found by
// walking every batch, checking its CRC and decoding its records. This is
// what `eventlog info` prints. It reads through a read-only handle of its
// own, so it works while a writer runs in this or another process, and sees
// what was written (flushed) when it started; it reads and decompresses the
// whole log, so its cost grows with the log's size.
internal import EventLogFormat
package import EventLogStorage

/// One segment: its `.log` file and the batches in it.
public struct SegmentSummary: Equatable, Sendable {
    /// The segment's base offset, which names its files.
    public var baseOffset: UInt64
    /// The `.log` file's name, e.g. `00000000000000000000.log`.
    public var fileName: String
    /// True for the segment being written (its file is preallocated beyond
    /// its data while a writer has it open).
    public var isActive: Bool
    /// Size of the `.log` file.
    public var fileBytes: UInt64
    /// Size of the `.index` and `.timeindex` files together.
    public var indexBytes: UInt64
    /// Offsets of the first and last record; nil when the segment holds none.
    public var firstOffset: UInt64?
    public var lastOffset: UInt64?
    public var batchCount = 0
    public var recordCount = 0
    /// The smallest and largest record timestamps (ms since the epoch); nil
    /// when the segment holds no record.
    public var minTimestamp: Int64?
    public var maxTimestamp: Int64?
    /// Bytes of the batches as stored: headers and (compressed) records.
    public var storedBytes: UInt64 = 0
    /// What the same batches take with their records uncompressed; equal to
    /// `storedBytes` for uncompressed batches.
    public var uncompressedBytes: UInt64 = 0
}

/// A whole log: its segments and their totals.
public struct LogSummary: Equatable, Sendable {
    public var path: String
    public var segments: [SegmentSummary]
    /// The first offset present and the next offset to be written.
    public var startOffset: UInt64
    public var endOffset: UInt64
    public var batchCount = 0
    public var recordCount = 0
    public var minTimestamp: Int64?
    public var maxTimestamp: Int64?
    /// Sizes of the segment files (`.log`, `.index`, `.timeindex`).
    public var bytesOnDisk: UInt64 = 0
    public var storedBytes: UInt64 = 0
    public var uncompressedBytes: UInt64 = 0

    /// Uncompressed over stored batch bytes (1 for an empty or uncompressed log).
    public var compressionRatio: Double {
        storedBytes == 0 ? 1 : Double(uncompressedBytes) / Double(storedBytes)
    }
}

extension EventLog {
    /// Summarises the log in directory `path`, checking every batch on the
    /// way: a damaged batch throws `corrupt` naming its file and byte.
    public static func inspect(at path: String) throws(EventLogError) -> LogSummary {
        var segments: [SegmentSummary] = []
        let walker = SegmentWalker()
        let (head, firstBase) = try forEachPublishedSegment(at: path) { (segment) throws(EventLogError) in
            segments.append(try walker.summarise(segment, directory: path))
        }
        var summary = LogSummary(
            path: path, segments: segments, startOffset: UInt64(firstBase ?? head.nextOffset),
            endOffset: UInt64(head.nextOffset))
        for segment in segments {
            summary.batchCount += segment.batchCount
            summary.recordCount += segment.recordCount
            summary.bytesOnDisk += segment.fileBytes + segment.indexBytes
            summary.storedBytes += segment.storedBytes
            summary.uncompressedBytes += segment.uncompressedBytes
            summary.minTimestamp = either(summary.minTimestamp, segment.minTimestamp, min)
            summary.maxTimestamp = either(summary.maxTimestamp, segment.maxTimestamp, max)
        }
        return summary
    }

    /// Summarises this log (what has been written so far).
    public func inspect() throws(EventLogError) -> LogSummary {
        try Self.inspect(at: path)
    }

    /// Opens the log in `path` read-only and lends `body` each segment with
    /// the bytes published when the walk began, oldest first: the active
    /// segment holds what the head published, a closed one ends at its
    /// (trimmed) file size. Returns that head and the oldest segment's base.
    static func forEachPublishedSegment(
        at path: String, _ body: (PublishedSegment) throws(EventLogError) -> Void
    ) throws(EventLogError) -> (head: HeadState, firstBase: Int64?) {
        try LogPresence.require(directory: path)
        var configuration = LogConfiguration()
        configuration.readOnly = true
        let directory = try LogDirectory.open(path: path, configuration: configuration)
        defer { try? directory.close() }
        let state = directory.state
        let (head, _) = state.snapshot()
        // Segments are mapped one at a time as the walk reaches them (the
        // catalog keeps only the last few mapped): mapping every segment
        // first failed on a log of tens of thousands of segments, past the
        // process's limit of mappings (vm.max_map_count). A segment
        // retention or compaction deleted since the listing is no longer
        // part of the log and is left out; one compaction replaced is read
        // as replaced. A segment the writer rolled to after the snapshot is
        // left out too: it holds nothing the head published, only
        // preallocated space.
        let bases = try state.catalog.segmentBases(version: nil).filter { $0 <= head.activeBase }
        var firstBase: Int64?
        for base in bases {
            let isActive = base == head.activeBase
            let reader: SegmentReader
            do { reader = try state.catalog.reader(base: base, active: isActive && state.head != nil) } catch
                where error.code == .notFound
            { continue }
            firstBase = firstBase ?? base
            let fileBytes = try reader.fileSizeOrMapped()
            // The segment the head names as active may have been rolled
            // away from and compacted since: the file mapped is then
            // shorter than the published end, and is read whole.
            let published = isActive ? Int(head.committedPosition) : fileBytes
            let limit = min(published, reader.mappedFileSize)
            try body(
                PublishedSegment(
                    base: base, isActive: isActive, reader: reader, fileBytes: fileBytes,
                    bytes: reader.bytes(limit: limit)))
        }
        return (head, firstBase)
    }
}

/// One segment of a read-only walk: its reader and its published bytes.
struct PublishedSegment {
    var base: Int64
    var isActive: Bool
    var reader: SegmentReader
    var fileBytes: Int
    var bytes: UnsafeRawBufferPointer

    /// Walks the batches (checking CRCs with `checkCRC`), giving `visit` each
    /// one while their offsets follow each other; the first misplaced or
    /// damaged batch, or error of `visit` (positioned in the batch's records
    /// section), ends the walk and throws `corrupt` naming the file and byte.
    /// The torn tail of a segment ends it quietly.
    func forEachBatch(checkCRC: Bool = true, _ visit: (ScannedBatch) throws(FormatError) -> Void)
        throws(EventLogError)
    {
        var offsets = FollowedOffsets(segmentBase: base)
        var failure: FormatError?
        let outcome = BatchScanner.scan(bytes, from: 0, limit: bytes.count, checkCRC: checkCRC) { batch in
            guard failure == nil else { return }
            failure = offsets.check(batch.header, at: batch.position, in: bytes, limit: bytes.count)
            guard failure == nil else { return }
            do throws(FormatError) { try visit(batch) } catch {
                failure = error.shifted(by: batch.position + RecordBatchHeader.size)
            }
        }
        if let damage = failure ?? outcome.damage {
            throw EventLogError.corrupt(file: reader.logPath, at: 0, damage)
        }
    }
}

/// Walks one segment's batches, reusing its buffers from segment to segment.
private final class SegmentWalker {
    private let decoder = BatchDecoder()

    func summarise(_ segment: PublishedSegment, directory: String) throws(EventLogError) -> SegmentSummary {
        var summary = SegmentSummary(
            baseOffset: UInt64(segment.base), fileName: segment.reader.fileName, isActive: segment.isActive,
            fileBytes: UInt64(segment.fileBytes),
            indexBytes: fileSize(SegmentFileName.path(directory: directory, base: segment.base, .offsetIndex))
                + fileSize(SegmentFileName.path(directory: directory, base: segment.base, .timeIndex)))
        try segment.forEachBatch { (batch) throws(FormatError) in try add(batch, segment.bytes, to: &summary) }
        return summary
    }

    private func add(_ batch: ScannedBatch, _ bytes: UnsafeRawBufferPointer, to summary: inout SegmentSummary)
        throws(FormatError)
    {
        let header = batch.header
        let payload = UnsafeRawBufferPointer(
            rebasing: bytes[batch.position + RecordBatchHeader.size..<batch.position + header.totalSize])
        summary.batchCount += 1
        summary.storedBytes += UInt64(header.totalSize)
        /// Records from offset `first` to `last`, stamped `low` to `high`.
        func note(_ first: Int64, _ last: Int64, _ low: Int64, _ high: Int64) {
            summary.firstOffset = summary.firstOffset ?? UInt64(first)
            summary.lastOffset = UInt64(last)
            summary.minTimestamp = either(summary.minTimestamp, low, min)
            summary.maxTimestamp = either(summary.maxTimestamp, high, max)
        }
        guard try decoder.decode(header, payload: payload) else {
            // Codecs this library does not read (batches from Kafka itself):
            // count from the header, whose timestamps bound the records'.
            summary.uncompressedBytes += UInt64(header.totalSize)
            summary.recordCount += Int(header.recordsCount)
            if header.recordsCount > 0 {
                note(header.baseOffset, header.lastOffset, header.baseTimestamp, header.maxTimestamp)
            }
            return
        }
        summary.uncompressedBytes += UInt64(RecordBatchHeader.size + decoder.section.count)
        summary.recordCount += decoder.records.count
        for record in decoder.records { note(record.offset, record.offset, record.timestamp, record.timestamp) }
    }

    private func fileSize(_ path: String) -> UInt64 {
        (try? FileSystem.status(of: path)).map { UInt64($0.st_size) } ?? 0
    }
}

/// `pick` (min or max) of the values present; nil when neither is.
private func either(_ a: Int64?, _ b: Int64?, _ pick: (Int64, Int64) -> Int64) -> Int64? {
    guard let a, let b else { return a ?? b }
    return pick(a, b)
}

#if canImport(Glibc)
    import Glibc
#endif
