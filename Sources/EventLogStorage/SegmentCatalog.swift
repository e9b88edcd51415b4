// SPDX-License-Identifier: Apache-2.0
// The list of segments of a log directory, sorted by base offset, with the
// segments' readers cached for cursors to share. Thread-safe (one
// lock guards the list and the cache). It is rebuilt from the directory when
// the head says the set of segments changed (roll, retention, compaction),
// which works the same in the writer's process and in every other one.
import Glibc

package final class SegmentCatalog: @unchecked Sendable {
    package let folder: DirectoryHandle
    private let lock = Lock()
    private var bases: [Int64] = []
    private var loadedVersion: UInt64? = nil
    /// Readers of closed segments, each with when it was last asked for.
    /// Bounded (least recently used go first): a replay of a log of many
    /// segments would otherwise keep every segment it passed mapped, and a
    /// process may hold only so many mappings (vm.max_map_count, 65,530 by
    /// default). A cursor keeps its own reader, so eviction costs a later
    /// reader of that segment one open and map, nothing else.
    private var readers: [Int64: (reader: SegmentReader, lastUse: UInt64)] = [:]
    private var uses: UInt64 = 0
    private static let maxCachedReaders = 64
    /// The active segment's reader (mapped for growth), kept like the others
    /// so that what its cursors learned about its batches (BatchLayout)
    /// outlives a cursor moving to another segment and back.
    private var activeReader: SegmentReader?

    package init(folder: DirectoryHandle) { self.folder = folder }

    /// Lists the segments on disk (the `.log` files).
    package static func listBases(directory: String) throws(EventLogError) -> [Int64] {
        try listBases(in: DirectoryHandle.open(directory))
    }

    package static func listBases(in folder: DirectoryHandle) throws(EventLogError) -> [Int64] {
        try folder.list().compactMap { SegmentFileName.parse($0, .log) }.sorted()
    }

    /// The sorted base offsets, re-read from disk if `version` differs from the
    /// version they were read at (nil: re-read unconditionally).
    package func segmentBases(version: UInt64?) throws(EventLogError) -> [Int64] {
        try lock.withLock { () throws(EventLogError) -> [Int64] in
            if version == nil || version != loadedVersion {
                let fresh = try Self.listBases(in: folder)
                if fresh != bases { readers = readers.filter { fresh.contains($0.key) } }
                // Compaction swaps files under the same names: drop every
                // cached mapping when the version moves, not only removed ones.
                if version != loadedVersion {
                    readers.removeAll()
                    activeReader = nil
                }
                bases = fresh
                loadedVersion = version
            }
            return bases
        }
    }

    /// Runs `body` with the segments listed at `version` (nil: afresh). If
    /// a segment it opens was deleted since the list was read (compaction,
    /// retention), again with the directory listed afresh, for as long as
    /// the listing changes: retention deletes segments one after another,
    /// and each may go between a listing and the open that follows it.
    package func relisting<R>(version: UInt64?, _ body: ([Int64]) throws(EventLogError) -> R) throws(EventLogError)
        -> R
    {
        var bases = try segmentBases(version: version)
        while true {
            do throws(EventLogError) { return try body(bases) } catch  where error.code == .notFound {
                let listed = try segmentBases(version: nil)
                if listed == bases { throw error }
                bases = listed
            }
        }
    }

    /// The base of the segment holding `offset` (the greatest base <= offset).
    package static func segmentIndex(containing offset: Int64, in bases: [Int64]) -> Int? {
        let low = partitionPoint(bases.count) { bases[$0] > offset }
        return low == 0 ? nil : low - 1
    }

    /// A reader for the segment at `base`, cached and shared until the set of
    /// segments changes. The active segment's is mapped for growth and kept
    /// apart: once the segment is closed, a mapping of its final size
    /// replaces it.
    package func reader(base: Int64, active: Bool) throws(EventLogError) -> SegmentReader {
        let cached = lock.withLock { () -> SegmentReader? in
            if active { return activeReader.flatMap { $0.base == base ? $0 : nil } }
            uses &+= 1
            readers[base]?.lastUse = uses
            return readers[base]?.reader
        }
        if let cached { return cached }
        let reader = try SegmentReader(folder: folder, base: base, active: active)
        lock.withLock {
            if active {
                activeReader = reader
                return
            }
            if readers.count >= Self.maxCachedReaders,
                let oldest = readers.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                readers[oldest.key] = nil
            }
            uses &+= 1
            readers[base] = (reader, uses)
        }
        return reader
    }
}
