// SPDX-License-Identifier: Apache-2.0
// Rebuilding a segment's .index and .timeindex from its batches, by the rule
// the writer follows (IndexRule, plus the final time-index entry Kafka forces
// when a segment is closed), and putting them in place so that a reader never maps
// a half-written index: each goes into a new file that is synced and then
// renamed over the old one, whose pages stay valid for whoever maps them.
internal import EventLogFormat
import Glibc

struct IndexReplay {
    let base: Int64
    private(set) var offsetEntries: [OffsetIndexEntry] = []
    private(set) var timeEntries: [TimeIndexEntry] = []
    private var rule: IndexRule
    var maxTimestamp: Int64 { rule.maxTimestamp }
    /// The offset after the last batch added.
    private(set) var nextOffset: Int64

    init(base: Int64) {
        self.base = base
        rule = IndexRule(base: base)
        nextOffset = base
    }

    /// Takes the next batch, at `position`. Batches whose offsets go back or
    /// do not fit the segment's int32 relative offsets get no entries.
    mutating func add(_ header: RecordBatchHeader, at position: Int) {
        guard header.baseOffset >= nextOffset, Int32(exactly: header.lastOffset - base) != nil,
            Int32(exactly: position) != nil
        else { return }
        if let entry = rule.add(header, at: position, size: header.totalSize) {
            offsetEntries.append(entry)
            appendTimeEntryIfNewer()
        }
        nextOffset = header.nextOffset
    }

    /// The entry for the segment's largest timestamp that closing forces.
    mutating func finish() { appendTimeEntryIfNewer() }

    private mutating func appendTimeEntryIfNewer() {
        if let entry = rule.timeEntry() { timeEntries.append(entry) }
    }
}

enum IndexRebuild {
    /// Replays every valid batch of `bytes`, also those after damage (found
    /// again with BatchResync), and forces the closing time-index entry.
    static func replay(_ bytes: UnsafeRawBufferPointer, base: Int64) -> IndexReplay {
        var replay = IndexReplay(base: base)
        _ = BatchScanner.scan(bytes, from: 0, limit: bytes.count, onDamage: .resync) {
            replay.add($0.header, at: $0.position)
        }
        replay.finish()
        return replay
    }

    /// Replaces the segment's index files with the replayed entries.
    static func write(_ replay: IndexReplay, directory: String, mode: mode_t) throws(EventLogError) {
        let path = { (kind: SegmentFileKind) in SegmentFileName.path(directory: directory, base: replay.base, kind) }
        try replace(path(.offsetIndex), with: replay.offsetEntries.fileBytes, mode: mode)
        try replace(path(.timeIndex), with: replay.timeEntries.fileBytes, mode: mode)
    }

    /// Writes `bytes` to a new file, syncs it and renames it to `path`.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t) throws(EventLogError) {
        let temporary = path + ".rebuild"
        try writeSynced(temporary, bytes, mode: mode)
        try FileSystem.rename(temporary, path)
    }

    /// Creates or truncates the file at `path`, writes `bytes` and syncs it.
    static func writeSynced(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(EventLogError) {
        let file = try FileHandle.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        try file.write(bytes, at: 0)
        try file.syncData()
    }
}
