// SPDX-License-Identifier: Apache-2.0
// What a compaction works from, fixed before it rewrites anything: the
// closed segments it examines (every segment but the last, as listed when
// it starts; segments a writer adds later are not touched), and the map from
// each key to the offset of its last record, built over those segments and
// the active one up to what its writer had published (Docs/FORMAT.md §12:
// a record is obsolete if its key appears again at a later offset).
//
// The map keeps every key exactly (no digests, so no collision can drop a
// record): key bytes in one arena, an open-addressing table of 32-byte slots
// over it, so memory is about the keys' size plus 40 bytes per key. Unlike
// Kafka's fixed dedupe buffer it grows with the number of distinct keys.
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
        var plan = CompactionPlan()
        plan.keys = keys
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

    static func tornTail(_ end: Int, _ size: Int) -> FormatError {
        FormatError(
            kind: .truncated, position: end,
            detail: "a closed segment ends in \(size - end) bytes that are not a whole batch")
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
                if try decode(bytes, batch) { count += records.count } else { count += Int(batch.header.recordsCount) }
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

    private func decode(_ bytes: UnsafeRawBufferPointer, _ batch: ScannedBatch) throws(FormatError) -> Bool {
        decoder.records.removeAll(keepingCapacity: true)
        decoder.headers.removeAll(keepingCapacity: true)
        decoded = false
        let header = batch.header
        let payload = UnsafeRawBufferPointer(
            rebasing: bytes[batch.position + RecordBatchHeader.size..<batch.position + header.totalSize])
        // Kafka does not filter control batches (transaction markers) by key.
        guard !header.isControl else { return false }
        decoded = try decoder.decode(header, payload: payload)
        return decoded
    }
}

/// Key bytes → the largest offset seen for the key. Not thread-safe.
///
/// Under a memory budget a map holds one share of the keys (those whose
/// hash falls in `partition` of `partitions`) and stops taking keys once
/// its table and key bytes would pass `limitBytes` (`overflowed`): the
/// compaction then runs again with twice the shares (Compactor).
final class KeyOffsetMap {
    /// The share of the keys this map holds: `partition` of `partitions`.
    let partition: Int
    let partitions: Int
    /// Memory the table and the key bytes may take; Int.max = no limit.
    let limitBytes: Int
    /// A key was refused because the map would have passed `limitBytes`.
    private(set) var overflowed = false

    private struct Slot {
        /// A mix of the key's CRC-32C and length; compared before the bytes.
        var hash: UInt64
        var keyStart: Int
        /// -1 marks a free slot.
        var keyLength: Int
        var offset: Int64
    }

    private var slots: [Slot]
    private var mask: Int
    private let arena = ByteBuffer(capacity: 1 << 16)
    private(set) var count = 0

    init(partition: Int = 0, of partitions: Int = 1, limitBytes: Int = Int.max) {
        self.partition = partition
        self.partitions = partitions
        self.limitBytes = limitBytes
        slots = Array(repeating: Slot(hash: 0, keyStart: 0, keyLength: -1, offset: 0), count: 1024)
        mask = 1023
    }

    /// A new, empty map for the same share of the keys under `limitBytes`.
    func sibling(limitBytes: Int) -> KeyOffsetMap {
        KeyOffsetMap(partition: partition, of: partitions, limitBytes: limitBytes)
    }

    /// What the table and the key bytes take now. Each key costs its bytes
    /// plus 64 to 128 bytes of table (32-byte slots, at most half full).
    var memoryBytes: Int { slots.count * MemoryLayout<Slot>.stride + arena.capacity }

    /// The share of the keys a hash belongs to, from its high bits: the low
    /// ones pick the slot.
    private static func share(_ hash: UInt64, _ partitions: Int) -> Int { Int((hash >> 32) % UInt64(partitions)) }

    func put(_ key: UnsafeRawBufferPointer, offset: Int64) {
        let hash = Self.hash(key)
        if partitions > 1 && Self.share(hash, partitions) != partition { return }
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].keyLength >= 0 {
            if slots[i].hash == hash && equals(slots[i], key) {
                slots[i].offset = max(slots[i].offset, offset)
                return
            }
            i = (i + 1) & mask
        }
        // A new key: refused if it, or the growth it triggers, would pass the limit.
        let grows = (count + 1) * 2 > slots.count
        let after = memoryBytes + key.count + (grows ? slots.count * MemoryLayout<Slot>.stride : 0)
        if overflowed || after > limitBytes {
            overflowed = true
            return
        }
        let start = arena.count
        arena.append(key)
        slots[i] = Slot(hash: hash, keyStart: start, keyLength: key.count, offset: offset)
        count += 1
        // At most half full, so probes stay short.
        if grows { grow() }
    }

    /// Adds every key of `other`, keeping the larger offset of each.
    func merge(_ other: KeyOffsetMap) {
        if other.overflowed { overflowed = true }
        for slot in other.slots where slot.keyLength >= 0 {
            put(
                UnsafeRawBufferPointer(start: other.arena.baseAddress + slot.keyStart, count: slot.keyLength),
                offset: slot.offset)
        }
    }

    func get(_ key: UnsafeRawBufferPointer) -> Int64? {
        let hash = Self.hash(key)
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].keyLength >= 0 {
            if slots[i].hash == hash && equals(slots[i], key) { return slots[i].offset }
            i = (i + 1) & mask
        }
        return nil
    }

    private func equals(_ slot: Slot, _ key: UnsafeRawBufferPointer) -> Bool {
        guard slot.keyLength == key.count else { return false }
        guard let p = key.baseAddress, key.count > 0 else { return true }
        return memcmp(arena.baseAddress + slot.keyStart, p, key.count) == 0
    }

    private func grow() {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, keyStart: 0, keyLength: -1, offset: 0), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.keyLength >= 0 {
            var i = Int(truncatingIfNeeded: slot.hash) & mask
            while slots[i].keyLength >= 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }

    private static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        // CRC-32C runs in hardware; mixed so that the low bits, which pick
        // the slot, depend on every bit of it.
        var h = UInt64(CRC32C.checksum(key)) | UInt64(key.count) << 32
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }
}
