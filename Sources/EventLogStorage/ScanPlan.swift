// SPDX-License-Identifier: Apache-2.0
// Splitting an offset range of a log into pieces that can be decoded
// independently: runs of whole batches of one segment, cut where the sparse
// offset index says a batch starts, so planning reads index entries and a
// few batch headers, never the log itself. The range ends where the head
// published when the plan was made: records appended meanwhile belong to
// the next job, as a batch job over a snapshot of its input expects.
internal import EventLogFormat

/// A run of whole batches of one segment: `start` and `end` are byte
/// positions of batch starts (or the segment's readable end), and only the
/// records with offsets in `offsets` belong to the piece.
@usableFromInline package struct ScanPiece: Sendable {
    /// The segment's mapping, kept alive by the piece: compaction or
    /// retention may replace or delete the file meanwhile.
    package let reader: SegmentReader
    @usableFromInline package let start: Int
    @usableFromInline package let end: Int
    /// How far the segment may be read (the published end of the active one).
    package let segmentLimit: Int
    package let offsets: Range<Int64>
    /// Where the piece sits in the plan, oldest first.
    @usableFromInline package let ordinal: Int
}

@usableFromInline package struct ScanPlan: Sendable {
    @usableFromInline package let pieces: [ScanPiece]
    /// The records the plan covers: from the first offset asked for still in
    /// the log up to the end published when the plan was made.
    @usableFromInline package let offsets: Range<Int64>
    /// The bytes the pieces span, for progress reports.
    @usableFromInline package let bytes: Int

    /// Plans the records with offsets in `from..<to` (clamped to what the log
    /// holds) in pieces of about `pieceBytes` bytes (cut at indexed batch
    /// starts, so a piece can be larger).
    package static func make(state: LogState, from: Int64, to: Int64, pieceBytes: Int) throws(EventLogError) -> ScanPlan
    {
        // A segment listed may be replaced or deleted by compaction or
        // retention before it is mapped: the catalog lists it afresh.
        let (head, _) = state.snapshot()
        return try state.catalog.relisting(version: head.catalogVersion) { (bases) throws(EventLogError) in
            try make(state: state, head: head, bases: bases, from: from, to: to, pieceBytes: pieceBytes)
        }
    }

    private static func make(
        state: LogState, head: HeadState, bases: [Int64], from: Int64, to: Int64, pieceBytes: Int
    ) throws(EventLogError) -> ScanPlan {
        let logStart = bases.first ?? head.nextOffset
        let range = max(from, logStart)..<max(max(from, logStart), min(to, head.nextOffset))
        var pieces: [ScanPiece] = []
        var bytes = 0
        guard !range.isEmpty else { return ScanPlan(pieces: [], offsets: range, bytes: 0) }
        for (index, base) in bases.enumerated() {
            let segmentEnd = index + 1 < bases.count ? bases[index + 1] : head.nextOffset
            guard segmentEnd > range.lowerBound else { continue }
            guard base < range.upperBound else { break }
            let active = base == head.activeBase && state.head != nil
            let reader = try state.catalog.reader(base: base, active: active)
            // Never past the file's end, whatever a damaged head says.
            let limit =
                active
                ? min(Int(clamping: max(0, head.committedPosition)), try reader.fileSizeOrMapped())
                : reader.mappedFileSize
            let entries =
                active && head.offsetIndexEntries != LogState.allEntries ? Int(head.offsetIndexEntries) : nil
            let cuts = reader.batchStarts(
                from: range.lowerBound, to: range.upperBound, entries: entries, limit: limit, every: pieceBytes)
            reader.releaseIndexes()
            for (start, end) in zip(cuts, cuts.dropFirst() + [limit]) where start < end {
                pieces.append(
                    ScanPiece(
                        reader: reader, start: start, end: end, segmentLimit: limit, offsets: range,
                        ordinal: pieces.count))
                bytes += end - start
            }
        }
        return ScanPlan(pieces: pieces, offsets: range, bytes: bytes)
    }

    /// About `piecesPerWorker` pieces per worker, so that a worker that
    /// finishes early takes more and uneven pieces even out; never below
    /// 1 MiB a piece, where the cost of a piece's set-up starts to show.
    package static func pieceBytes(totalBytes: Int, workers: Int, piecesPerWorker: Int) -> Int {
        max(1 << 20, totalBytes / max(1, workers * piecesPerWorker))
    }
}

extension SegmentReader {
    /// Byte positions where pieces of this segment start: the batch that can
    /// hold `from` first, then indexed batch starts at least `every` bytes
    /// apart, while the batches there can still hold offsets below `to`.
    /// An index entry that goes backwards, or one chosen as a start that
    /// does not point at a plausible batch header, ends the cutting: the
    /// piece before it runs to the end, and its worker reports any damage
    /// there. Only the chosen entries' headers are read: reading all of
    /// them touched a page of the segment every 4 KiB before the scan began.
    func batchStarts(from: Int64, to: Int64, entries: Int?, limit: Int, every: Int) -> [Int] {
        let first = position(forOffset: from, entries: entries, limit: limit)
        var starts = [first]
        guard let index = index(.offsetIndex, entries: entries) else { return starts }
        let bytes = bytes(limit: limit)
        let count = Self.readable(index, entries)
        var previousLast: Int64 = -1
        for i in 0..<count {
            let entry = OffsetIndexEntry(loadingFrom: index.entry(i))
            let position = Int(entry.position)
            defer { previousLast = base + Int64(entry.relativeOffset) }
            guard position > starts.last! else {
                if position < first { continue }
                if position == starts.last! { continue }
                break
            }
            // The batch at `position` starts after the entry before it.
            if previousLast >= to - 1 { break }
            guard position < limit else { break }
            guard position - starts.last! >= every else { continue }
            guard BatchResync.validatedHeader(bytes, at: position, limit: limit, checkCRC: false) != nil else { break }
            starts.append(position)
        }
        return starts
    }
}
