// SPDX-License-Identifier: Apache-2.0
// The head file (`eventlog.head`): a small shared mapping through which the
// writer publishes each written batch to readers in every process, and on
// which readers wait (a futex on the shared page) for the next publish.
//
// Layout (little-endian, 4096 bytes; Docs/FORMAT.md is normative):
//   0  u64 magic "ELHEAD01"     8 u32 version (1)       12 i32 writer pid
//  16  u64 publish sequence    24 u32 futex word       28 u32 waiter count
//  32  u64 segment changes made by other processes (compaction, retention)
//  64  slot 0, 128 slot 1: the published state, 64 bytes each (HeadState)
// The writer fills the slot the sequence does not point at, then advances the
// sequence (release). A reader copies the slot of the sequence it loaded and
// accepts the copy only if the sequence is unchanged afterwards. A writer that
// dies mid-publish thus leaves the last complete state readable; a seqlock
// with one slot would leave an odd sequence that stalls every reader.
import CEventLogShims
import Glibc

/// What the writer last published.
package struct HeadState: Equatable, Sendable {
    /// Base offset of the segment being written.
    package var activeBase: Int64 = 0
    /// Bytes of the active segment that hold complete, published batches.
    package var committedPosition: Int64 = 0
    /// The offset after the last published record.
    package var nextOffset: Int64 = 0
    /// The first offset of the log (the first segment's base).
    package var startOffset: Int64 = 0
    /// Valid entries in the active segment's .index and .timeindex.
    package var offsetIndexEntries: UInt32 = 0
    package var timeIndexEntries: UInt32 = 0
    /// Changes whenever segments are created, deleted or replaced, by the
    /// writer or by maintenance in another process.
    package var catalogVersion: UInt64 = 0
    /// The largest record timestamp in the active segment (-1 if none).
    package var activeMaxTimestamp: Int64 = -1

    /// This state with what no writer publishes made harmless: a head file
    /// damaged on disk, or written by something else, can hold any bytes,
    /// and readers turn these fields into sizes, ranges and unsigned
    /// offsets. Positions and offsets are kept from going negative and in
    /// their order (start <= active base <= next). A reader then sees at
    /// most fewer records, until the writer publishes again; what it reads
    /// is still bounded by the files and checked batch by batch.
    var sanitized: HeadState {
        var state = self
        state.activeBase = max(0, activeBase)
        state.startOffset = min(max(0, startOffset), state.activeBase)
        state.nextOffset = max(nextOffset, state.activeBase)
        state.committedPosition = max(0, committedPosition)
        return state
    }
}

package final class HeadFile: @unchecked Sendable {
    package static let fileName = "eventlog.head"
    static let size = 4096
    static let magic: UInt64 = 0x3130_4441_4548_4C45  // "ELHEAD01" little-endian
    static let version: UInt32 = 1

    private enum Field {
        static let magic = 0, version = 8, pid = 12, sequence = 16, futexWord = 24, waiters = 28
        static let externalChanges = 32
        static let slots = 64, slotSize = 64
    }

    private let region: MappedRegion
    private let base: UnsafeMutableRawPointer
    /// False when a reader could only open the file read-only: it then cannot
    /// announce itself as a waiter and polls with a short futex timeout.
    package let canAnnounceWaiters: Bool

    private init(region: MappedRegion, writable: Bool) {
        self.region = region
        self.base = region.base!
        self.canAnnounceWaiters = writable
    }

    /// Opens or creates the head file for the writer and claims it with this
    /// process's pid.
    package static func openForWriter(in folder: DirectoryHandle, mode: mode_t) throws(EventLogError) -> HeadFile {
        let file = try folder.open(fileName, flags: O_RDWR | O_CREAT, mode: mode)
        if try file.size() < size { try file.allocate(offset: 0, length: size) }
        let head = HeadFile(region: try file.map(length: size, writable: true), writable: true)
        if !head.isRecognised {
            // New or unrecognisable: start from zero. Readers of a damaged head
            // simply see a fresh state once the writer publishes.
            memset(head.base, 0, size)
            head.base.storeBytes(of: version, toByteOffset: Field.version, as: UInt32.self)
            eventlog_fence_release()
            head.base.storeBytes(of: magic, toByteOffset: Field.magic, as: UInt64.self)
        }
        head.base.storeBytes(of: getpid(), toByteOffset: Field.pid, as: Int32.self)
        return head
    }

    /// Opens an existing head file for a reader; nil when there is none or it
    /// is not ours (a directory of plain Kafka segments).
    package static func openForReader(directory: String) -> HeadFile? {
        (try? DirectoryHandle.open(directory)).flatMap { openForReader(in: $0) }
    }

    package static func openForReader(in folder: DirectoryHandle) -> HeadFile? {
        let readWrite = try? folder.open(fileName, flags: O_RDWR)
        let writable = readWrite != nil
        guard let file = readWrite ?? (try? folder.open(fileName, flags: O_RDONLY)), (try? file.size()) ?? 0 >= size,
            let region = try? file.map(length: size, writable: writable)
        else { return nil }
        let head = HeadFile(region: region, writable: writable)
        return head.isRecognised ? head : nil
    }

    /// Whether the file starts with this format's magic and version.
    private var isRecognised: Bool {
        base.load(fromByteOffset: Field.magic, as: UInt64.self) == Self.magic
            && base.load(fromByteOffset: Field.version, as: UInt32.self) == Self.version
    }

    private func field<T>(_ offset: Int, _: T.Type) -> UnsafeMutablePointer<T> {
        (base + offset).assumingMemoryBound(to: T.self)
    }
    private var sequencePointer: UnsafeMutablePointer<UInt64> { field(Field.sequence, UInt64.self) }
    private var externalChangesPointer: UnsafeMutablePointer<UInt64> { field(Field.externalChanges, UInt64.self) }
    private var futexWord: UnsafeMutablePointer<UInt32> { field(Field.futexWord, UInt32.self) }
    private var waiters: UnsafeMutablePointer<UInt32> { field(Field.waiters, UInt32.self) }

    /// The publish sequence: changes on every publish.
    package var sequence: UInt64 { eventlog_load_acquire_u64(sequencePointer) }

    /// The pid of the writer that last opened the log.
    package var writerPid: Int32 { base.load(fromByteOffset: Field.pid, as: Int32.self) }

    /// A consistent copy of the last published state and its sequence.
    package func read() -> (state: HeadState, sequence: UInt64) {
        while true {
            let before = eventlog_load_acquire_u64(sequencePointer)
            let slot = UnsafeRawPointer(base + Field.slots + Int(before & 1) * Field.slotSize)
            var state = HeadState()
            state.activeBase = slot.load(fromByteOffset: 0, as: Int64.self)
            state.committedPosition = slot.load(fromByteOffset: 8, as: Int64.self)
            state.nextOffset = slot.load(fromByteOffset: 16, as: Int64.self)
            state.startOffset = slot.load(fromByteOffset: 24, as: Int64.self)
            state.offsetIndexEntries = slot.load(fromByteOffset: 32, as: UInt32.self)
            state.timeIndexEntries = slot.load(fromByteOffset: 36, as: UInt32.self)
            state.catalogVersion = slot.load(fromByteOffset: 40, as: UInt64.self)
            state.activeMaxTimestamp = slot.load(fromByteOffset: 48, as: Int64.self)
            eventlog_fence_acquire()
            if eventlog_load_acquire_u64(sequencePointer) == before {
                // Both counters only grow, so their sum changes when either does.
                state.catalogVersion &+= eventlog_load_acquire_u64(externalChangesPointer)
                return (state.sanitized, before)
            }
        }
    }

    /// The last published state; nil while no writer has published yet.
    package var published: HeadState? {
        let (state, sequence) = read()
        return sequence > 0 ? state : nil
    }

    /// Publishes a new state (writer only) and wakes every waiting reader.
    package func publish(_ state: HeadState) {
        let next = eventlog_load_acquire_u64(sequencePointer) &+ 1
        let slot = base + Field.slots + Int(next & 1) * Field.slotSize
        slot.storeBytes(of: state.activeBase, toByteOffset: 0, as: Int64.self)
        slot.storeBytes(of: state.committedPosition, toByteOffset: 8, as: Int64.self)
        slot.storeBytes(of: state.nextOffset, toByteOffset: 16, as: Int64.self)
        slot.storeBytes(of: state.startOffset, toByteOffset: 24, as: Int64.self)
        slot.storeBytes(of: state.offsetIndexEntries, toByteOffset: 32, as: UInt32.self)
        slot.storeBytes(of: state.timeIndexEntries, toByteOffset: 36, as: UInt32.self)
        slot.storeBytes(of: state.catalogVersion, toByteOffset: 40, as: UInt64.self)
        slot.storeBytes(of: state.activeMaxTimestamp, toByteOffset: 48, as: Int64.self)
        eventlog_store_release_u64(sequencePointer, next)
        wakeWaiters()
    }

    /// Tells readers in every process that segments were replaced or deleted
    /// by someone other than the writer (compaction, retention by the CLI),
    /// so they list the directory again. Needs a writable mapping.
    package func noteSegmentsChanged() {
        guard canAnnounceWaiters else { return }
        _ = eventlog_fetch_add_seqcst_u64(externalChangesPointer, 1)
        wakeWaiters()
    }

    /// Wakes every waiter, e.g. when the log is closed under them. Does
    /// nothing through a read-only mapping (a reader that may not write the
    /// head file, or a log on a read-only file system): a store there would
    /// fault, and its own waiters poll and notice a close by themselves.
    package func wakeWaiters() {
        guard canAnnounceWaiters else { return }
        // The RMW on the word and the load of the waiter count are both
        // sequentially consistent, pairing with the reader's announce-then-
        // snapshot in `wait`: either the reader sees the new sequence, or the
        // writer sees the reader's announcement and makes the system call.
        _ = eventlog_fetch_add_seqcst_u32(futexWord, 1)
        if eventlog_load_seqcst_u32(waiters) != 0 { eventlog_futex_wake_all(futexWord) }
    }

    /// Sleeps until the sequence differs from `seen`, `deadline` (monotonic
    /// ns, nil = never) passes, or `shouldStop` says so. Returns true if the
    /// sequence changed.
    package func wait(whileSequenceIs seen: UInt64, deadline: UInt64?, shouldStop: () -> Bool) -> Bool {
        if sequence != seen { return true }
        if canAnnounceWaiters { _ = eventlog_fetch_add_seqcst_u32(waiters, 1) }
        defer { if canAnnounceWaiters { _ = eventlog_fetch_sub_seqcst_u32(waiters, 1) } }
        // A bounded sleep is a safety net against a writer that died between
        // bumping the word and waking; unannounced readers must poll.
        let slice: UInt64 = canAnnounceWaiters ? 200_000_000 : 5_000_000
        while true {
            let word = eventlog_load_seqcst_u32(futexWord)
            if sequence != seen { return true }
            if shouldStop() { return false }
            var timeout = slice
            if let deadline {
                let now = monotonicNanoseconds()
                if now >= deadline { return false }
                timeout = min(timeout, deadline - now)
            }
            _ = eventlog_futex_wait(futexWord, word, Int64(timeout))
        }
    }
}
