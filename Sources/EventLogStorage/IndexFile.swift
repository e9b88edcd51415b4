// SPDX-License-Identifier: Apache-2.0
// A Kafka index file (.index or .timeindex): a plain array of fixed-size
// big-endian entries, mapped. The writer preallocates room for the entries a
// full segment can need and trims the file to whole entries on roll and close,
// as Kafka does, because Kafka counts entries by file length. Entries are
// sorted, so lookups in them (and in the other sorted runs of the storage
// layer) are binary searches: `partitionPoint`.
internal import EventLogFormat
import Glibc

package final class IndexFile {
    package let entrySize: Int
    /// The writer's descriptor, for trimming and syncing. A reader keeps
    /// only the mapping: a reader of a log of many segments would otherwise
    /// hold two descriptors per segment it has looked at.
    private let file: FileHandle?
    private let region: MappedRegion
    /// Entries that hold data (the rest of the mapping is preallocated space).
    package private(set) var count: Int
    /// Entries the mapping has room for.
    package let capacity: Int

    private init(entrySize: Int, file: FileHandle?, region: MappedRegion, count: Int, capacity: Int) {
        self.entrySize = entrySize
        self.file = file
        self.region = region
        self.count = count
        self.capacity = capacity
    }

    /// Opens for appending: keeps the first `keeping` entries (fewer if the file
    /// is shorter) and preallocates room for `capacity` entries in all.
    package static func openForWriting(
        in folder: DirectoryHandle, _ name: String, entrySize: Int, keeping: Int, capacity: Int, mode: mode_t
    ) throws(EventLogError) -> IndexFile {
        let file = try folder.open(name, flags: O_RDWR | O_CREAT, mode: mode)
        let existing = min(keeping, try file.size() / entrySize)
        let capacity = max(capacity, existing + 1)
        try file.truncate(to: existing * entrySize)
        try file.allocate(offset: 0, length: capacity * entrySize)
        let region = try file.map(length: capacity * entrySize, writable: true)
        return IndexFile(entrySize: entrySize, file: file, region: region, count: existing, capacity: capacity)
    }

    /// Opens the file `name` of `folder` (without one, the file at the path
    /// `name`) for reading: `count` entries, or as many whole entries as the
    /// file holds when nil. Nil if the file does not exist.
    package static func openForReading(in folder: DirectoryHandle? = nil, _ name: String, entrySize: Int, count: Int?)
        throws(EventLogError) -> IndexFile?
    {
        let file: FileHandle
        do {
            file = try FileHandle.open(
                at: folder?.file.fd ?? AT_FDCWD, name, path: folder?.child(name) ?? name, flags: O_RDONLY, mode: 0o644)
        } catch  where error.code == .notFound { return nil }
        let region = try file.mapAll()
        let entries = min(count ?? (region.length / entrySize), region.length / entrySize)
        return IndexFile(entrySize: entrySize, file: nil, region: region, count: entries, capacity: entries)
    }

    package func entry(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(region.base! + i * entrySize) }

    /// The last entry that holds data; nil if none does.
    func last<Entry: IndexEntry>(as _: Entry.Type) -> Entry? {
        count > 0 ? Entry(loadingFrom: entry(count - 1)) : nil
    }

    /// The bytes of the entries that hold data; valid while this is open.
    package var entryBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: region.base, count: count * entrySize)
    }

    package var isFull: Bool { count >= capacity }

    /// Appends one entry, written by `store` into the entry's bytes.
    package func append(_ store: (UnsafeMutableRawPointer) -> Void) {
        precondition(count < capacity, "index full")
        store(region.base! + count * entrySize)
        count += 1
    }

    /// Shrinks the file to its entries (roll, close, recovery).
    package func trim() throws(EventLogError) { try file?.truncate(to: count * entrySize) }

    package func sync() throws(EventLogError) { try file?.syncData() }
}

/// The first of the indexes `0..<count` for which `isPast` holds, or
/// `count`: the indexes must be ordered so that once it holds, it holds for
/// every later one.
func partitionPoint(_ count: Int, _ isPast: (Int) -> Bool) -> Int {
    var low = 0
    var high = count
    while low < high {
        let mid = (low + high) / 2
        if isPast(mid) { high = mid } else { low = mid + 1 }
    }
    return low
}
