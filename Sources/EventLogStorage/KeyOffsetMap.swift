// SPDX-License-Identifier: Apache-2.0
// Key bytes → the largest offset seen for the key: compaction's map of each
// key to its latest record (CompactionPlan). It keeps every key exactly (no
// digests, so no collision can drop a record) in an open-addressing table of
// 32-byte slots, at most half full. A key of up to 16 bytes lives in its
// slot, so a lookup touches one cache line; a longer one lives in an arena
// the slot points to. Filling and looking up are where a compaction spends
// most of its time past decoding, at one or two cache misses a record.
import CEventLogShims
internal import EventLogFormat
import Glibc

/// Not thread-safe to fill; once filled, any number of threads may look up.
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
    @exclusivity(unchecked) private(set) var overflowed = false

    private struct Slot {
        /// The key's hash with its low byte replaced by the key's form:
        /// `free`, `inlineBase + length` for a key held in `low` and `high`
        /// (zero-padded), or `inArena` for one at `low` of length `high`.
        var tag: UInt64
        var offset: Int64
        var low: UInt64
        var high: UInt64

        static let free = Slot(tag: 0, offset: 0, low: 0, high: 0)
    }

    private static let inlineBase: UInt64 = 1
    private static let inlineLimit = 16
    private static let inArena: UInt64 = 0xFF

    @exclusivity(unchecked) private var table: SlotTable
    private var slots: UnsafeMutablePointer<Slot> { table.base }
    /// Bits of the hash, from the top, that pick a slot.
    @exclusivity(unchecked) private var shift: UInt64
    private let arena = ByteBuffer(capacity: 1 << 12)
    @exclusivity(unchecked) private(set) var count = 0

    init(partition: Int = 0, of partitions: Int = 1, limitBytes: Int = Int.max) {
        self.partition = partition
        self.partitions = partitions
        self.limitBytes = limitBytes
        table = SlotTable(count: 1024)
        shift = 64 - 10
    }

    /// A new, empty map for the same share of the keys under `limitBytes`.
    func sibling(limitBytes: Int) -> KeyOffsetMap {
        KeyOffsetMap(partition: partition, of: partitions, limitBytes: limitBytes)
    }

    /// What the table and the key bytes take now. Each key costs 64 to 128
    /// bytes of table (32-byte slots, at most half full), plus its bytes if
    /// it is longer than 16.
    var memoryBytes: Int { table.count * MemoryLayout<Slot>.stride + arena.capacity }

    /// The share of the keys a key belongs to, of `partitions` (a power of
    /// two up to 2^24).
    static func share(ofKey key: UnsafeRawBufferPointer, partitions: Int) -> Int {
        share(hash(key), partitions)
    }

    /// The share of a hash: the top log2(partitions) of 24 bits that neither
    /// the tag's low byte nor the slot index (the top bits) use. A prefix,
    /// not a remainder, so that share s of n is exactly shares 2s and 2s + 1
    /// of 2n, which the Compactor relies on when a share overflows and it
    /// goes on with twice as many (with `% partitions` share s's keys would
    /// fall into s and s + n, and those in s + n would never be compacted).
    private static func share(_ hash: UInt64, _ partitions: Int) -> Int {
        precondition(partitions > 0 && partitions <= 1 << 24 && partitions & (partitions - 1) == 0)
        return Int((hash >> 8) & 0xFF_FFFF) >> (24 - partitions.trailingZeroBitCount)
    }

    func put(_ key: UnsafeRawBufferPointer, offset: Int64) {
        put(key, hash: Self.hash(key), offset: offset)
    }

    @inline(__always)
    private func put(_ key: UnsafeRawBufferPointer, hash: UInt64, offset: Int64) {
        if partitions > 1 && Self.share(hash, partitions) != partition { return }
        let probe = Probe(key, hash: hash)
        let (i, found) = find(key, probe)
        if found {
            slots[i].offset = max(slots[i].offset, offset)
        } else {
            insert(key, probe, offset: offset, at: i)
        }
    }

    /// The slot holding `key`, or the free slot where it would go.
    @inline(__always)
    private func find(_ key: UnsafeRawBufferPointer, _ probe: Probe) -> (Int, found: Bool) {
        var i = Int(truncatingIfNeeded: probe.tag >> shift)
        let mask = table.count - 1
        while slots[i].tag != Slot.free.tag {
            if matches(slots[i], probe, key) { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    /// Puts the key of every record of `records` that has one.
    func put(keysOf records: [RecordView]) {
        forEachKey(of: records) { n, key, hash in
            if let key { put(key, hash: hash, offset: records[n].offset) }
        }
    }

    /// Calls `visit` with the index of each record of `records` and the
    /// latest offset of its key: nil for a record without a key or whose
    /// key the map does not hold.
    func latestOffsets(of records: [RecordView], _ visit: (Int, Int64?) -> Void) {
        forEachKey(of: records) { n, key, hash in
            guard let key else { return visit(n, nil) }
            let (i, found) = find(key, Probe(key, hash: hash))
            visit(n, found ? slots[i].offset : nil)
        }
    }

    /// How many keys `forEachKey` hashes and asks for at a time: enough
    /// for their cache misses to overlap, few enough that their lines stay
    /// in L1/L2.
    private static let warmAhead = 32

    /// Calls `body` with the index, key (nil: none) and hash of each
    /// record of `records`, in order. It hashes a group of keys and asks
    /// for the first slot each one probes, all at once, so that their cache
    /// and TLB misses overlap instead of coming one by one in the lookups
    /// that follow.
    @inline(__always)
    private func forEachKey(
        of records: [RecordView], _ body: (Int, UnsafeRawBufferPointer?, UInt64) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.warmAhead) { hashes in
            var start = 0
            while start < records.count {
                let end = min(start + Self.warmAhead, records.count)
                for n in start..<end {
                    guard let key = records[n].key else { continue }
                    let hash = Self.hash(key)
                    hashes[n - start] = hash
                    eventlog_prefetch(slots + Int(truncatingIfNeeded: hash >> shift))
                }
                for n in start..<end {
                    let key = records[n].key
                    body(n, key, key == nil ? 0 : hashes[n - start])
                }
                start = end
            }
        }
    }

    /// Adds every key of `other`, keeping the larger offset of each.
    func merge(_ other: KeyOffsetMap) {
        if other.overflowed { overflowed = true }
        var inlineKey: (UInt64, UInt64) = (0, 0)
        for slot in UnsafeBufferPointer(start: other.slots, count: other.table.count) where slot.tag != Slot.free.tag {
            let form = slot.tag & 0xFF
            if form == Self.inArena {
                put(
                    UnsafeRawBufferPointer(start: other.arena.baseAddress + Int(slot.low), count: Int(slot.high)),
                    offset: slot.offset)
            } else {
                inlineKey = (slot.low, slot.high)
                withUnsafeBytes(of: &inlineKey) { bytes in
                    put(UnsafeRawBufferPointer(rebasing: bytes[0..<Int(form - Self.inlineBase)]), offset: slot.offset)
                }
            }
        }
    }

    /// A key ready to compare with slots: its tag, and its bytes as two
    /// words when it is short enough to live in a slot.
    private struct Probe {
        var tag: UInt64
        var low: UInt64 = 0
        var high: UInt64 = 0

        init(_ key: UnsafeRawBufferPointer, hash: UInt64) {
            let bare = hash & ~0xFF
            guard key.count <= KeyOffsetMap.inlineLimit else {
                tag = bare | KeyOffsetMap.inArena
                return
            }
            tag = bare | (KeyOffsetMap.inlineBase + UInt64(key.count))
            if key.count == KeyOffsetMap.inlineLimit {
                low = key.loadUnaligned(as: UInt64.self)
                high = key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            } else if key.count > 0 {
                var words: (UInt64, UInt64) = (0, 0)
                withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: key) }
                (low, high) = words
            }
        }
    }

    @inline(__always)
    private func matches(_ slot: Slot, _ probe: Probe, _ key: UnsafeRawBufferPointer) -> Bool {
        guard slot.tag == probe.tag else { return false }
        guard probe.tag & 0xFF == Self.inArena else { return slot.low == probe.low && slot.high == probe.high }
        // The tag leaves out the hash's low byte: compare the lengths too.
        return Int(slot.high) == key.count
            && memcmp(arena.baseAddress + Int(slot.low), key.baseAddress!, key.count) == 0
    }

    /// Puts a new key in the free slot `i`, unless it, or the growth it
    /// triggers, would pass the limit.
    private func insert(_ key: UnsafeRawBufferPointer, _ probe: Probe, offset: Int64, at i: Int) {
        let inArena = probe.tag & 0xFF == Self.inArena
        let grows = (count + 1) * 2 > table.count
        let after =
            memoryBytes + (inArena ? key.count : 0) + (grows ? table.count * MemoryLayout<Slot>.stride : 0)
        if overflowed || after > limitBytes {
            overflowed = true
            return
        }
        var slot = Slot(tag: probe.tag, offset: offset, low: probe.low, high: probe.high)
        if inArena {
            slot.low = UInt64(arena.count)
            slot.high = UInt64(key.count)
            arena.append(key)
        }
        slots[i] = slot
        count += 1
        // At most half full, so probes stay short.
        if grows { grow() }
    }

    private func grow() {
        let old = table
        table = SlotTable(count: old.count * 2)
        shift -= 1
        let mask = table.count - 1
        for slot in UnsafeBufferPointer(start: old.base, count: old.count) where slot.tag != Slot.free.tag {
            var i = Int(truncatingIfNeeded: slot.tag >> shift)
            while slots[i].tag != Slot.free.tag { i = (i + 1) & mask }
            slots[i] = slot
        }
    }

    /// Slots in an anonymous mapping: its zero pages read as free slots
    /// (no fill), and a large table asks for huge pages, since lookups land
    /// on random slots and would miss the TLB on most of them.
    private final class SlotTable {
        let base: UnsafeMutablePointer<Slot>
        let count: Int
        private let bytes: Int

        init(count: Int) {
            self.count = count
            bytes = count * MemoryLayout<Slot>.stride
            let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let raw, raw != UnsafeMutableRawPointer(bitPattern: -1) else {
                fatalError("compaction key map: out of memory for \(count) slots")
            }
            if bytes >= 2 << 20 { madvise(raw, bytes, MADV_HUGEPAGE) }
            base = raw.bindMemory(to: Slot.self, capacity: count)
        }

        deinit { munmap(base, bytes) }
    }

    private static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        // CRC-32C runs in hardware; mixed so that the top bits, which pick
        // the slot, depend on every bit of it.
        var h = UInt64(CRC32C.checksum(key)) | UInt64(key.count) << 32
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }
}
