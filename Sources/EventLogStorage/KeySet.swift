// SPDX-License-Identifier: Apache-2.0
// The keys a compaction has met, going from the newest record back
// (CompactionPass): a record whose key is already in the set has a later
// record with that key and goes. It keeps every key exactly (no digests, so
// no collision can drop a record) in an open-addressing table of 32-byte
// slots, at most half full. A key of up to 16 bytes lives in its slot, so a
// lookup touches one cache line; a longer one lives in an arena the slot
// points to. Claiming keys is the one step of a compaction that runs in log
// order on one thread, so each key's hash and words are worked out before,
// where the key was decoded (KeyProbe), and the set only looks up slots.
import CEventLogShims
internal import EventLogFormat
import Glibc

/// Not thread-safe: one thread at a time claims keys (CompactionPass hands
/// it from thread to thread under a lock).
///
/// Under a memory budget a set holds one share of the keys (those whose
/// hash falls in `partition` of `partitions`) and stops taking keys once
/// its table and key bytes would pass `limitBytes` (`overflowed`): the
/// compaction then runs again with twice the shares (Compactor).
final class KeySet {
    /// The share of the keys this set holds: `partition` of `partitions`.
    let partition: Int
    let partitions: Int
    /// Memory the table and the key bytes may take; Int.max = no limit.
    let limitBytes: Int
    /// A key was refused because the set would have passed `limitBytes`.
    @exclusivity(unchecked) private(set) var overflowed = false

    private struct Slot {
        /// The key's hash with its low byte replaced by the key's form:
        /// `free`, `inlineBase + length` for a key held in `low` and `high`
        /// (zero-padded), or `inArena` for one at `low` of length `high`.
        var tag: UInt64
        var low: UInt64
        var high: UInt64
        /// Pads a slot to 32 bytes, so that none straddles two cache lines.
        var unused: UInt64 = 0

        static let free = Slot(tag: 0, low: 0, high: 0)
    }

    @exclusivity(unchecked) private var table: SlotTable
    private var slots: UnsafeMutablePointer<Slot> { table.base }
    /// Bits of the hash, from the top, that pick a slot.
    @exclusivity(unchecked) private var shift: UInt64
    private let arena = ByteBuffer(capacity: 1 << 12)
    @exclusivity(unchecked) private(set) var count = 0

    init(partition: Int = 0, of partitions: Int = 1, limitBytes: Int = Int.max) {
        assert(MemoryLayout<Slot>.stride == 32)
        self.partition = partition
        self.partitions = partitions
        self.limitBytes = limitBytes
        table = SlotTable(count: 1024)
        shift = 64 - 10
    }

    /// What the table and the key bytes take now. Each key costs 64 to 128
    /// bytes of table (32-byte slots, at most half full), plus its bytes if
    /// it is longer than 16.
    var memoryBytes: Int { table.count * MemoryLayout<Slot>.stride + arena.capacity }

    /// The share of the keys a key belongs to, of `partitions` (a power of
    /// two up to 2^24).
    static func share(ofKey key: UnsafeRawBufferPointer, partitions: Int) -> Int {
        share(KeyProbe(key).tag, partitions)
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

    /// Puts the key of `probe` (whose bytes are `key`) if the set does not
    /// hold it yet; returns whether this record is the latest of its key,
    /// as far as this set can tell: true for a key it had not seen, for a
    /// key of another share (not this set's to decide) and for a key it
    /// could not take (`overflowed`).
    @inline(__always)
    private func claim(_ probe: KeyProbe, key: @autoclosure () -> UnsafeRawBufferPointer) -> Bool {
        if partitions > 1 && Self.share(probe.tag, partitions) != partition { return true }
        var i = Int(truncatingIfNeeded: probe.tag >> shift)
        let mask = table.count - 1
        while slots[i].tag != Slot.free.tag {
            if matches(slots[i], probe, key) { return false }
            i = (i + 1) & mask
        }
        insert(probe, key, at: i)
        return true
    }

    /// Compaction's decision for the records of a batch, which come just
    /// before every record already claimed: walking them from the last to
    /// the first, it claims each key and sets `latest[n]` to whether record
    /// n is the latest of its key (true for a record without a key).
    /// `probes` are the records' keys, from `KeyProbe.fill`.
    func markLatest(
        _ records: UnsafeBufferPointer<RecordView>, probes: UnsafeBufferPointer<KeyProbe>,
        into latest: UnsafeMutableBufferPointer<Bool>
    ) {
        let count = probes.count
        // The first slot of each key is asked for `warmAhead` records before
        // its turn, so that the misses of the lookups overlap.
        for n in stride(from: count - 1, through: max(0, count - Self.warmAhead), by: -1) { warm(probes[n]) }
        for n in stride(from: count - 1, through: 0, by: -1) {
            if n >= Self.warmAhead { warm(probes[n - Self.warmAhead]) }
            let probe = probes[n]
            latest[n] = probe.tag == KeyProbe.noKey || claim(probe, key: records[n].key!)
        }
    }

    /// How many records ahead `markLatest` asks for a key's slot: enough
    /// for the cache and TLB misses of that many lookups to overlap, few
    /// enough that the lines are still in L1/L2 when their turn comes.
    private static let warmAhead = 16

    @inline(__always)
    private func warm(_ probe: KeyProbe) {
        eventlog_prefetch(slots + Int(truncatingIfNeeded: probe.tag >> shift))
    }

    @inline(__always)
    private func matches(_ slot: Slot, _ probe: KeyProbe, _ key: () -> UnsafeRawBufferPointer) -> Bool {
        guard slot.tag == probe.tag else { return false }
        guard probe.tag & 0xFF == KeyProbe.inArena else { return slot.low == probe.low && slot.high == probe.high }
        // The tag leaves out the hash's low byte: compare the lengths too.
        let key = key()
        return Int(slot.high) == key.count
            && memcmp(arena.baseAddress + Int(slot.low), key.baseAddress!, key.count) == 0
    }

    /// Puts a new key in the free slot `i`, unless it, or the growth it
    /// triggers, would pass the limit.
    private func insert(_ probe: KeyProbe, _ key: () -> UnsafeRawBufferPointer, at i: Int) {
        let inArena = probe.tag & 0xFF == KeyProbe.inArena
        let keyBytes = inArena ? key().count : 0
        let grows = (count + 1) * 2 > table.count
        let after = memoryBytes + keyBytes + (grows ? table.count * MemoryLayout<Slot>.stride : 0)
        if overflowed || after > limitBytes {
            overflowed = true
            return
        }
        var slot = Slot(tag: probe.tag, low: probe.low, high: probe.high)
        if inArena {
            let key = key()
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
                fatalError("compaction key set: out of memory for \(count) slots")
            }
            if bytes >= 2 << 20 { madvise(raw, bytes, MADV_HUGEPAGE) }
            base = raw.bindMemory(to: Slot.self, capacity: count)
        }

        deinit { munmap(base, bytes) }
    }
}

/// A key worked out for a lookup in a KeySet: its tag (hash and form), and
/// its bytes as two words when it is short enough to live in a slot.
/// Worked out where the key is decoded, while its bytes are in the cache.
struct KeyProbe {
    /// The hash with its low byte replaced by the key's form:
    /// `inlineBase + length` for a key of up to `inlineLimit` bytes, held in
    /// `low` and `high` (zero-padded), or `inArena` for a longer one. 0 for
    /// a record without a key.
    private(set) var tag: UInt64
    private(set) var low: UInt64 = 0
    private(set) var high: UInt64 = 0

    static let noKey: UInt64 = 0
    static let inlineBase: UInt64 = 1
    static let inlineLimit = 16
    static let inArena: UInt64 = 0xFF

    init(_ key: UnsafeRawBufferPointer) {
        let n = key.count
        guard n <= Self.inlineLimit else {
            tag = Self.mix(UInt64(CRC32C.checksum(key)) | UInt64(n) << 32) & ~0xFF | Self.inArena
            return
        }
        // Most keys are short: hashed from the two words the slot holds
        // (CRC-32C's call cost as much as the lookup), and their length.
        (low, high) = Self.zeroPaddedWords(key)
        let h = (low ^ 0x9E37_79B9_7F4A_7C15) &* 0xC2B2_AE3D_27D4_EB4F ^ (high &+ UInt64(n)) &* 0x1656_67B1_9E37_79F9
        tag = Self.mix(h) & ~0xFF | (Self.inlineBase + UInt64(n))
    }

    /// A key of up to 16 bytes as two little-endian words, zero-padded:
    /// loads that overlap, shifted, rather than a copy (a call per key).
    @inline(__always)
    private static func zeroPaddedWords(_ key: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        let n = key.count
        if n >= 8 {
            let tail = key.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            return (key.loadUnaligned(as: UInt64.self), n == 8 ? 0 : tail >> UInt64(8 * (16 - n)))
        }
        if n >= 4 {
            let tail = UInt64(key.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            return (UInt64(key.loadUnaligned(as: UInt32.self)) | (tail >> UInt64(8 * (8 - n))) << 32, 0)
        }
        var low: UInt64 = 0
        for i in 0..<n { low |= UInt64(key[i]) << UInt64(8 * i) }
        return (low, 0)
    }

    private init(noKey: ()) { tag = Self.noKey }

    /// Replaces `probes` with the probes of `records`' keys.
    static func fill(_ probes: inout [KeyProbe], of records: [RecordView]) {
        probes.removeAll(keepingCapacity: true)
        // Adding no capacity to an array with none would write the count
        // of the runtime's shared empty array (a race between threads).
        guard !records.isEmpty else { return }
        // Through an OutputSpan: appending one by one checked the array's
        // uniqueness and capacity for every record.
        probes.append(addingCapacity: records.count) { (span: inout OutputSpan<KeyProbe>) in
            for record in records { span.append(record.key.map { KeyProbe($0) } ?? KeyProbe(noKey: ())) }
        }
    }

    /// Mixes `h` so that the top bits, which pick the slot, depend on every bit.
    @inline(__always)
    private static func mix(_ h: UInt64) -> UInt64 {
        let m = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return m ^ (m >> 32)
    }
}
