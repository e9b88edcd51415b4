// SPDX-License-Identifier: Apache-2.0
// Entries of Kafka's sparse segment indexes, as they lie in the files:
// `.index` holds (int32 relativeOffset, int32 position) and `.timeindex` holds
// (int64 timestamp, int32 relativeOffset), big-endian and packed with no
// header. An entry's relative offset is the lastOffset of the batch it points
// at (Docs/FORMAT.md §6).

/// What both kinds of index entry offer their readers.
package protocol IndexEntry {
    /// Bytes of one entry in the file.
    static var size: Int { get }
    init(loadingFrom p: UnsafeRawPointer)
    func store(to p: UnsafeMutableRawPointer)
    /// Whether this entry may come after `previous` (nil: it is the first).
    func follows(_ previous: Self?) -> Bool
    /// Whether this is what a writer's preallocated, unwritten entry holds.
    var isPreallocated: Bool { get }
}

package struct OffsetIndexEntry: IndexEntry, Equatable, Sendable {
    package static let size = 8

    /// Offset minus the segment's base offset.
    package var relativeOffset: Int32
    /// Byte position in the `.log` where the batch starts.
    package var position: Int32

    package init(relativeOffset: Int32, position: Int32) {
        self.relativeOffset = relativeOffset
        self.position = position
    }

    /// Reads the 8 bytes at `p` (any alignment).
    @inlinable
    package init(loadingFrom p: UnsafeRawPointer) {
        self.init(relativeOffset: BigEndian.load(p, at: 0), position: BigEndian.load(p, at: 4))
    }

    /// Writes the 8 bytes at `p` (any alignment).
    @inlinable
    package func store(to p: UnsafeMutableRawPointer) {
        BigEndian.store(relativeOffset, to: p, at: 0)
        BigEndian.store(position, to: p, at: 4)
    }

    /// Whether this entry may come after `previous` in an .index (nil: it
    /// is the first): relative offsets and positions rise strictly and are
    /// not negative, and no entry names position 0 (the interval rule
    /// indexes a batch only after 4096 bytes).
    package func follows(_ previous: OffsetIndexEntry?) -> Bool {
        relativeOffset >= 0 && position > 0
            && (previous.map { relativeOffset > $0.relativeOffset && position > $0.position } ?? true)
    }

    /// No written entry names position 0.
    package var isPreallocated: Bool { position == 0 }
}

package struct TimeIndexEntry: IndexEntry, Equatable, Sendable {
    package static let size = 12

    /// The largest timestamp seen in the segment up to this entry.
    package var timestamp: Int64
    /// Offset minus the segment's base offset, of the batch holding `timestamp`.
    package var relativeOffset: Int32

    package init(timestamp: Int64, relativeOffset: Int32) {
        self.timestamp = timestamp
        self.relativeOffset = relativeOffset
    }

    /// Reads the 12 bytes at `p` (any alignment).
    @inlinable
    package init(loadingFrom p: UnsafeRawPointer) {
        self.init(timestamp: BigEndian.load(p, at: 0), relativeOffset: BigEndian.load(p, at: 8))
    }

    /// Writes the 12 bytes at `p` (any alignment).
    @inlinable
    package func store(to p: UnsafeMutableRawPointer) {
        BigEndian.store(timestamp, to: p, at: 0)
        BigEndian.store(relativeOffset, to: p, at: 8)
    }

    /// Whether this entry may come after `previous` in a .timeindex (nil:
    /// it is the first): timestamps rise strictly, relative offsets never
    /// fall, and neither is negative.
    package func follows(_ previous: TimeIndexEntry?) -> Bool {
        timestamp >= 0 && relativeOffset >= 0
            && (previous.map { timestamp > $0.timestamp && relativeOffset >= $0.relativeOffset } ?? true)
    }

    package var isPreallocated: Bool { timestamp == 0 && relativeOffset == 0 }
}

/// The entries of an index an index reader may trust: the first `count`
/// entries of `data` (an index file's bytes) while each follows the one
/// before it and `accept`s. Verify, the writer's recovery and the open-time
/// index check all trust an index prefix by this one rule.
package struct TrustedIndexPrefix<Entry: IndexEntry> {
    package var entries: [Entry] = []
    /// The entry that ended the prefix by not following the one before it
    /// (nil: every entry followed, or `accept` ended it).
    package var brokenAt: Int?

    package init(_ data: UnsafeRawBufferPointer, count: Int, accept: (Entry) -> Bool = { _ in true }) {
        entries.reserveCapacity(count)
        for i in 0..<count {
            let entry = Entry(loadingFrom: data.baseAddress! + i * Entry.size)
            guard entry.follows(entries.last) else {
                brokenAt = i
                return
            }
            guard accept(entry) else { return }
            entries.append(entry)
        }
    }
}

extension Array where Element: IndexEntry {
    /// The entries as an index file holds them.
    package var fileBytes: [UInt8] {
        // With no entries, Array(unsafeUninitializedCapacity: 0) stores the
        // count into the runtime's one shared empty-array object: a write
        // that two compactions on two threads would race on.
        guard !isEmpty else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count * Element.size) { buffer, initialized in
            for (i, entry) in enumerated() { entry.store(to: buffer.baseAddress! + i * Element.size) }
            initialized = count * Element.size
        }
    }
}
