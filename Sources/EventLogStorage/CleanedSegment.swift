// SPDX-License-Identifier: Apache-2.0
// The segment a compaction writes for one group of merged segments:
// `<base>.log.cleaned` with its `.index.cleaned` and `.timeindex.cleaned`,
// indexed as an index rebuild indexes a segment (IndexReplay: the writer's
// IndexRule and the final time-index entry a rolled segment has). In a dry
// run nothing is written and only the sizes are counted. Owned by one
// compaction; not thread-safe.
internal import EventLogFormat
import Glibc

final class CleanedSegment {
    let base: Int64
    private let directory: String
    private let mode: mode_t
    private let log: FileHandle?
    /// Batches not yet written to the file.
    private let pending = ByteBuffer(capacity: 1 << 20)
    private var written = 0
    /// Bytes of the segment so far, pending ones included.
    private(set) var size = 0
    private(set) var records = 0
    private var index: IndexReplay

    private static let flushBytes = 1 << 20

    /// Creates the cleaned log file, replacing a stale one; none in a dry run.
    init(directory: String, base: Int64, mode: mode_t, dryRun: Bool) throws(EventLogError) {
        self.directory = directory
        self.base = base
        self.mode = mode
        index = IndexReplay(base: base)
        log =
            dryRun
            ? nil
            : try FileHandle.open(
                SegmentSwap.path(directory, base, .log, SegmentSwap.cleanedSuffix),
                flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
    }

    /// Appends one whole batch that `header` describes.
    func append(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws(EventLogError) {
        // Merging checks both limits; a rebuilt batch can still come out a
        // little larger than the original if its codec compressed better.
        guard header.lastOffset - base <= Int64(Int32.max), size + batch.count <= Int(Int32.max) else {
            throw EventLogError(
                .tooBig, "\(directory): compacted segment \(base) would exceed Kafka's 2^31-1 bytes or offsets")
        }
        index.add(header, at: size)
        size += batch.count
        records += Int(header.recordsCount)
        guard log != nil else { return }
        pending.append(batch)
        if pending.count >= Self.flushBytes { try flush() }
    }

    private func flush() throws(EventLogError) {
        guard let log, pending.count > 0 else { return }
        try log.write(UnsafeRawBufferPointer(start: pending.baseAddress, count: pending.count), at: written)
        written += pending.count
        pending.removeAll()
    }

    /// Writes the rest and both indexes (with the final time-index entry)
    /// and makes all three files durable.
    func finish() throws(EventLogError) {
        index.finish()
        guard let log else { return }
        try flush()
        try log.syncData()
        let path = { (kind: SegmentFileKind) in
            SegmentSwap.path(self.directory, self.base, kind, SegmentSwap.cleanedSuffix)
        }
        try IndexRebuild.writeSynced(path(.offsetIndex), index.offsetEntries.fileBytes, mode: mode)
        try IndexRebuild.writeSynced(path(.timeIndex), index.timeEntries.fileBytes, mode: mode)
    }

    /// Removes the cleaned files after a failure, as far as it can; recovery
    /// removes whatever is left.
    func discard() {
        for kind in SegmentFileKind.allCases {
            try? FileSystem.remove(SegmentSwap.path(directory, base, kind, SegmentSwap.cleanedSuffix))
        }
    }
}
