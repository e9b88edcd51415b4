// SPDX-License-Identifier: Apache-2.0
// Read access to one segment: its .log mapped read-only, and its indexes,
// mapped on first use. Shared by cursors (an immutable view of a closed
// segment, or of the active one up to the limit the head publishes); the
// mapping stays valid even after the writer rolls away from the segment or
// retention deletes it.
internal import EventLogFormat
import Glibc

package final class SegmentReader: @unchecked Sendable {
    /// Positions are int32 in Kafka, so no segment exceeds 2 GiB; mapping the
    /// active segment this large lets it grow under readers without remapping.
    package static let activeMappingLength = Int(Int32.max) + 1

    package let base: Int64
    package let logPath: String
    private let folder: DirectoryHandle
    private let region: MappedRegion
    /// The file size when mapped (the segment's end, for a closed segment).
    package let mappedFileSize: Int
    /// The mapped file, to tell whether the name still names it.
    private let identity: FileIdentity
    /// Both indexes once looked for (nil: no such file); under `indexLock`.
    private let indexLock = Lock()
    private var indexes: [SegmentFileKind: IndexFile?] = [:]
    /// Batches of this mapping that passed their CRC and decoded in full,
    /// by position; guarded by `layoutLock`. A point read that finds its
    /// batch here skips the CRC: the batch's bytes in this mapping are not
    /// rewritten (compaction and repair replace closed segments' files, which
    /// a new mapping reads; the active segment is only appended to, or cut by
    /// recovery past what was published, and a batch written anew at the
    /// same position would have to match this one's CRC, size and offset),
    /// so only damage after the check could change them, the same risk as
    /// with any cache of decoded data.
    private let layoutLock = Lock()
    private var layouts: [Int: BatchLayout] = [:]

    init(folder: DirectoryHandle, base: Int64, active: Bool) throws(EventLogError) {
        self.base = base
        self.folder = folder
        let file = try folder.open(SegmentFileName.name(base: base, .log), flags: O_RDONLY)
        self.logPath = file.path
        let status = try file.status()
        mappedFileSize = Int(status.st_size)
        identity = FileIdentity(status)
        region = try file.map(length: active ? Self.activeMappingLength : mappedFileSize, writable: false)
    }

    package var fileName: String { SegmentFileName.name(base: base, .log) }

    /// The mapped bytes up to `limit`.
    package func bytes(limit: Int) -> UnsafeRawBufferPointer { region.bytes(0..<min(limit, region.length)) }

    func layout(at position: Int) -> BatchLayout? { layoutLock.withLock { layouts[position] } }

    func remember(_ layout: BatchLayout, at position: Int) {
        layoutLock.withLock {
            // Bounded: a default segment holds some 2,600 batches, but small
            // batches in a large segment could otherwise pin a few hundred
            // bytes each for as long as the segment is mapped.
            if layouts.count >= Self.maxRememberedLayouts { layouts.removeAll(keepingCapacity: true) }
            layouts[position] = layout
        }
    }

    private static let maxRememberedLayouts = 8192

    /// The current size of the file (a closed segment's end).
    /// `notFound` once the name names another file: compaction replaced the
    /// segment, and the new file's size says nothing about this mapping.
    package func currentFileSize() throws(EventLogError) -> Int {
        let status = try folder.status(of: fileName)
        guard FileIdentity(status) == identity else {
            throw EventLogError(.notFound, "\(logPath): replaced since it was opened")
        }
        return Int(status.st_size)
    }

    /// The current size of the file, or the size mapped once the name names
    /// another file (compaction replaced the segment) or none (retention
    /// deleted it): the mapping still holds the segment as it was. For a
    /// walk over what a head published, whose active segment may have been
    /// rolled and replaced since.
    package func fileSizeOrMapped() throws(EventLogError) -> Int {
        do { return try currentFileSize() } catch  where error.code == .notFound { return mappedFileSize }
    }

    /// A byte position at or before the first batch that can hold `target`,
    /// from the sparse offset index (0 without one). `entries` limits the
    /// index to the entries the head published for the active segment.
    package func position(forOffset target: Int64, entries: Int?, limit: Int) -> Int {
        guard target > base, let index = index(.offsetIndex, entries: entries) else { return 0 }
        // Greatest entry whose offset (its batch's last offset) is below the
        // target: the target's batch starts at or after that entry's batch.
        let low = partitionPoint(Self.readable(index, entries)) {
            base + Int64(OffsetIndexEntry(loadingFrom: index.entry($0)).relativeOffset) >= target
        }
        guard low > 0 else { return 0 }
        let entry = OffsetIndexEntry(loadingFrom: index.entry(low - 1))
        let position = Int(entry.position)
        return position >= 0 && position < limit ? position : 0
    }

    /// The first batch start after `position` that the .index records (its
    /// first `entries` entries), or nil: where a resync past damage looks
    /// first.
    package func indexedStart(after position: Int, entries: Int?) -> Int? {
        guard let index = index(.offsetIndex, entries: entries) else { return nil }
        let count = Self.readable(index, entries)
        // Entries are sorted by position unless the index itself is damaged;
        // then this finds some later entry, which resync still checks.
        let low = partitionPoint(count) { Int(OffsetIndexEntry(loadingFrom: index.entry($0)).position) > position }
        return low < count ? Int(OffsetIndexEntry(loadingFrom: index.entry(low)).position) : nil
    }

    /// A byte position at or before the first batch holding a record with a
    /// timestamp >= `timestamp`, from the time index and the offset index.
    package func position(forTimestamp timestamp: Int64, entries: Int?, offsetEntries: Int?, limit: Int) -> Int {
        guard let index = index(.timeIndex, entries: entries) else { return 0 }
        // Entries hold the largest timestamp so far: every record up to the
        // batch of the last entry below `timestamp` is older, so the search
        // can start at that batch.
        let low = partitionPoint(Self.readable(index, entries)) {
            TimeIndexEntry(loadingFrom: index.entry($0)).timestamp >= timestamp
        }
        guard low > 0 else { return 0 }
        let entry = TimeIndexEntry(loadingFrom: index.entry(low - 1))
        return position(forOffset: base + Int64(entry.relativeOffset), entries: offsetEntries, limit: limit)
    }

    /// The largest record timestamp of a closed segment: its last .timeindex
    /// entry, or without one, the largest that a walk over its batch headers
    /// up to `limit` finds (-1 if none).
    package func maxTimestamp(limit: Int) -> Int64 {
        if let last = index(.timeIndex, entries: nil)?.last(as: TimeIndexEntry.self) { return last.timestamp }
        return BatchScanner.scan(bytes(limit: limit), from: 0, limit: limit, checkCRC: false).maxTimestamp
    }

    /// Unmaps the indexes until they are asked for again. A scan plan keeps
    /// every segment of its range mapped; their indexes, needed only to
    /// plan, would double its mappings (a process has vm.max_map_count).
    package func releaseIndexes() { indexLock.withLock { indexes.removeAll() } }

    /// How many of `index`'s entries a search may read: the first `entries`
    /// (what the head published of the active segment), all without a limit.
    /// The cached mapping may hold more than a caller's limit.
    static func readable(_ index: IndexFile, _ entries: Int?) -> Int {
        min(index.count, entries ?? index.count)
    }

    /// The .index or .timeindex, limited to `entries` as in
    /// `position(forOffset:)`; nil without one.
    func index(_ kind: SegmentFileKind, entries: Int?) -> IndexFile? {
        indexLock.withLock {
            let cached = indexes[kind]
            // The active segment's index grows: re-open it when the head
            // publishes more entries than the mapping holds.
            if let cached, let file = cached, entries == nil || file.count >= entries! { return file }
            if let cached, cached == nil, entries == nil { return nil }
            let entrySize = kind == .offsetIndex ? OffsetIndexEntry.size : TimeIndexEntry.size
            let name = SegmentFileName.name(base: base, kind)
            let loaded = try? IndexFile.openForReading(in: folder, name, entrySize: entrySize, count: entries)
            indexes[kind] = .some(loaded)
            return loaded
        }
    }
}
