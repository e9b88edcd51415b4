// SPDX-License-Identifier: Apache-2.0
// What a compaction works from, fixed before it rewrites anything: the
// closed segments it examines (every segment but the last, as listed when
// it starts; segments a writer adds later are not touched), and the map from
// each key to the offset of its last record, built over those segments and
// the active one up to what its writer had published (Docs/FORMAT.md §12:
// a record is obsolete if its key appears again at a later offset).
//
// The map (KeyOffsetMap) keeps every key exactly; unlike Kafka's fixed
// dedupe buffer it grows with the number of distinct keys.
internal import EventLogFormat
import Glibc

struct CompactionPlan {
    /// The closed segments, oldest first.
    var closed: [Int64] = []
    /// `.log` sizes of the closed segments.
    var sizes: [Int64: Int] = [:]
    /// For each closed segment, the base of the segment after it: every
    /// offset it holds is below.
    var nextBase: [Int64: Int64] = [:]
    /// The largest `.log` in the directory (the active one included).
    var largestSegment = 0
    var recordsBefore = 0
    /// The keys mapped: all of them, or one share under a memory budget.
    var keys = KeyOffsetMap()

    /// Lists the segments, decides which are closed and maps every key, in
    /// the closed segments and in the active one up to what its writer
    /// published (a file the writer may still trim is read no further). The
    /// active segment is synced first when `syncActive`: a record it holds
    /// may make older ones obsolete, and must not be lost to a power cut
    /// after those are gone. Segments rolled since the head was read, and the
    /// last segment of a directory without a writer's head, are not mapped:
    /// their records are newer than every closed one, so leaving them out
    /// only keeps more.
    /// `keys` is the empty map to fill: which share of the keys it takes
    /// and how much memory it may use.
    static func build(
        directory: String, head: HeadFile?, syncActive: Bool, workers: Int = onlineCores(),
        keys: KeyOffsetMap = KeyOffsetMap(), progress: (Int, Int) -> Void
    ) throws(EventLogError) -> CompactionPlan {
        var plan = CompactionPlan(keys: keys)
        let published = head.flatMap { $0.sequence > 0 ? $0.read().state : nil }
        let bases = try SegmentCatalog.listBases(directory: directory)
        plan.closed = bases.dropLast().filter { published == nil || $0 < published!.activeBase }
        for (i, base) in bases.enumerated() where i + 1 < bases.count { plan.nextBase[base] = bases[i + 1] }
        var files: [(file: FileHandle, limit: Int, closed: Bool)] = []
        for base in bases {
            let isActive = published?.activeBase == base
            guard plan.closed.contains(base) || isActive else { continue }
            let file = try FileHandle.open(
                SegmentFileName.path(directory: directory, base: base, .log), flags: O_RDONLY)
            var limit = try file.size()
            if isActive {
                // Preallocated beyond its data: the data is what was published.
                limit = min(limit, Int(max(0, published!.committedPosition)))
                if syncActive { try file.syncData() }
            } else {
                plan.sizes[base] = limit
            }
            plan.largestSegment = max(plan.largestSegment, limit)
            files.append((file, limit, !isActive))
        }
        plan.recordsBefore = try CompactionKeyMapping.run(
            files, into: plan.keys, workers: workers, progress: progress)
        return plan
    }
}

/// Decodes the batches of a segment for compaction, reusing its buffers.
/// Not thread-safe.
final class SegmentBatchReader {
    private let decoder = BatchDecoder()
    /// The batches of the walk under way; reused.
    private var batches: [ScannedBatch] = []
    /// The records and headers of the batch last decoded.
    var records: [RecordView] { decoder.records }
    var headers: [HeaderView] { decoder.headers }

    /// Walks the whole batches of `bytes[from..<limit]` (all of it by
    /// default), checking each CRC, decoding each one's records and calling
    /// `visit`, which finds them in `records`
    /// (empty for a batch whose records cannot or must not be filtered:
    /// control batches, codecs other than none and LZ4; `decoded` is false
    /// then). A batch whose records do not decode throws `corrupt`. Returns
    /// where the scan stopped and the records decoded.
    func forEachBatch(
        _ bytes: UnsafeRawBufferPointer, from start: Int = 0, limit: Int? = nil, file: String,
        visit: (_ batch: ScannedBatch) throws(EventLogError) -> Void
    ) throws(EventLogError) -> (ScanOutcome, Int) {
        batches.removeAll(keepingCapacity: true)
        let outcome = BatchScanner.scan(bytes, from: start, limit: limit ?? bytes.count) { batches.append($0) }
        var count = 0
        for batch in batches {
            do throws(FormatError) {
                try decode(bytes, batch)
                count += decoded ? records.count : Int(batch.header.recordsCount)
            } catch {
                throw EventLogError.corrupt(file: file, at: batch.position + RecordBatchHeader.size, error)
            }
            try visit(batch)
        }
        return (outcome, count)
    }

    /// Whether `batch` holds records that compaction filters; if so they are
    /// in `records`.
    private(set) var decoded = false

    private func decode(_ bytes: UnsafeRawBufferPointer, _ batch: ScannedBatch) throws(FormatError) {
        decoder.records.removeAll(keepingCapacity: true)
        decoder.headers.removeAll(keepingCapacity: true)
        decoded = false
        // Kafka does not filter control batches (transaction markers) by key.
        guard !batch.header.isControl else { return }
        let payload = batch.position + RecordBatchHeader.size..<batch.position + batch.header.totalSize
        decoded = try decoder.decode(batch.header, payload: UnsafeRawBufferPointer(rebasing: bytes[payload]))
    }
}
