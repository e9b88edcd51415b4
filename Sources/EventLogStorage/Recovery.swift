// Opening the last segment for writing after a clean close or a crash.
//
// Only the tail is checked, never the whole log: recovery starts at the last
// .index entry whose batch still validates (the index gets an entry every
// 4 KiB written, so that is at most 4 KiB plus one batch before the end of
// the data), walks forward checking every batch's CRC, and cuts the file at
// the first torn, zeroed or damaged batch, as Kafka's LogSegment.recover does.
// Index entries after the starting point are rebuilt by replaying Kafka's
// indexing rule over the batches found.
import EventLogFormat
import Glibc

enum Recovery {
    struct Result {
        var segment: ActiveSegment
        /// Bytes cut from the end of the segment (torn or damaged tail).
        var truncatedBytes: Int
    }

    static func openLastSegment(
        directory: String, base: Int64, segmentBytes: Int, mode: mode_t, head: HeadState?
    ) throws(EventLogError) -> Result {
        let logPath = SegmentFileName.path(directory: directory, base: base, .log)
        guard FileSystem.exists(logPath) else {
            let segment = try ActiveSegment(directory: directory, base: base, segmentBytes: segmentBytes, mode: mode)
            return Result(segment: segment, truncatedBytes: 0)
        }
        let log = try FileHandle.open(logPath, flags: O_RDONLY)
        let fileSize = try log.size()
        let region = try log.map(length: fileSize, writable: false)
        let bytes = region.bytes(0..<fileSize)
        let trustedHead = head.flatMap { $0.activeBase == base ? $0 : nil }

        let offsetEntries = try trustedOffsetEntries(directory: directory, base: base, bytes: bytes, head: trustedHead)
        var start = ActiveSegment.Resume(
            position: 0, offsetIndexEntries: 0, timeIndexEntries: 0, bytesSinceIndexEntry: 0,
            maxTimestamp: -1, maxTimestampOffset: base, nextOffset: base)
        if let last = offsetEntries.last {
            let relative = last.relativeOffset
            let timeEntries = try trustedTimeEntries(
                directory: directory, base: base, upTo: relative, head: trustedHead)
            start.position = Int(last.position)
            start.offsetIndexEntries = offsetEntries.count
            start.timeIndexEntries = timeEntries.count
            if let lastTime = timeEntries.last {
                start.maxTimestamp = lastTime.timestamp
                start.maxTimestampOffset = base + Int64(lastTime.relativeOffset)
            }
        }

        var batches: [ScannedBatch] = []
        let outcome = BatchScanner.scan(bytes, from: start.position, limit: fileSize) { batches.append($0) }
        let segment = try ActiveSegment(
            directory: directory, base: base, segmentBytes: segmentBytes, mode: mode,
            resume: start, validEnd: outcome.validEnd)
        for batch in batches {
            segment.adopt(header: batch.header, at: batch.position)
        }
        return Result(segment: segment, truncatedBytes: fileSize - outcome.validEnd)
    }

    /// The prefix of the .index that is believable: entries strictly
    /// increasing, inside the file, the last one pointing at a batch that
    /// validates and whose last offset matches. A damaged or stale index just
    /// yields fewer entries (down to none: recovery then scans from 0).
    private static func trustedOffsetEntries(
        directory: String, base: Int64, bytes: UnsafeRawBufferPointer, head: HeadState?
    ) throws(EventLogError) -> [OffsetIndexEntry] {
        let path = SegmentFileName.path(directory: directory, base: base, .offsetIndex)
        guard let index = try IndexFile.openForReading(path: path, entrySize: OffsetIndexEntry.size, count: nil)
        else { return [] }
        var entries: [OffsetIndexEntry] = []
        let limit = head.map { min(index.count, Int($0.offsetIndexEntries)) } ?? index.count
        for i in 0..<limit {
            let entry = OffsetIndexEntry(loadingFrom: index.entry(i))
            if let previous = entries.last {
                guard entry.relativeOffset > previous.relativeOffset, entry.position > previous.position else { break }
            }
            guard entry.position > 0, Int(entry.position) < bytes.count, entry.relativeOffset >= 0 else { break }
            entries.append(entry)
        }
        while let last = entries.last {
            let at = Int(last.position)
            if let header = try? RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: bytes[at...])),
                at + header.totalSize <= bytes.count,
                (try? RecordBatch.validate(UnsafeRawBufferPointer(rebasing: bytes[at..<at + header.totalSize]))) != nil,
                header.lastOffset == base + Int64(last.relativeOffset)
            {
                break
            }
            entries.removeLast()
        }
        return entries
    }

    /// The believable prefix of the .timeindex up to relative offset `upTo`.
    private static func trustedTimeEntries(
        directory: String, base: Int64, upTo relative: Int32, head: HeadState?
    ) throws(EventLogError) -> [TimeIndexEntry] {
        let path = SegmentFileName.path(directory: directory, base: base, .timeIndex)
        guard let index = try IndexFile.openForReading(path: path, entrySize: TimeIndexEntry.size, count: nil)
        else { return [] }
        var entries: [TimeIndexEntry] = []
        let limit = head.map { min(index.count, Int($0.timeIndexEntries)) } ?? index.count
        for i in 0..<limit {
            let entry = TimeIndexEntry(loadingFrom: index.entry(i))
            guard entry.timestamp >= 0, entry.relativeOffset >= 0, entry.relativeOffset <= relative else { break }
            if let previous = entries.last {
                guard entry.timestamp > previous.timestamp, entry.relativeOffset >= previous.relativeOffset else { break }
            } else if entry.timestamp == 0 && entry.relativeOffset == 0 {
                break  // preallocated zeros, not an entry
            }
            entries.append(entry)
        }
        return entries
    }
}
