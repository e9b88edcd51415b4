// SPDX-License-Identifier: Apache-2.0
// What an open log shares with its cursors: the directory, its segment
// catalog, and the published state, read from the head file, or for a
// directory of plain Kafka segments (no head file), computed once at open.
// A reader opened before any writer (an empty directory a producer will
// fill) looks for the head file while it waits, and reads the writer's
// state from the moment one appears.
// Thread-safe: every member is immutable or synchronised.
internal import EventLogFormat
import Glibc
import Synchronization

package final class LogState: @unchecked Sendable {
    /// The directory held open: the log's files are opened through it.
    package let folder: DirectoryHandle
    /// The directory as it was opened, for messages and path-based tools.
    package var directory: String { folder.path }
    package let catalog: SegmentCatalog
    /// The head file given at open (always, for a writer).
    private let openedHead: HeadFile?
    /// A head file that appeared after a read-only open (`discoverHead`),
    /// guarded by `discoveryLock`.
    private var discoveredHead: HeadFile?
    private let discoveryLock = Lock()
    private var nextLookForHead: UInt64 = 0
    private let staticState: HeadState
    /// For a read-only handle whose head file claims more than the active
    /// segment holds (StaleHead): what to read instead while the head still
    /// has this publish sequence.
    private let staleHead: (sequence: UInt64, state: HeadState)?
    private let closedFlag = Atomic<Bool>(false)
    /// The directory's identity at open, to notice it being removed or
    /// replaced under a cursor that waits for records.
    private let identity: FileIdentity?

    /// Index entry counts meaning "as many as the file holds".
    package static let allEntries = UInt32.max

    init(folder: DirectoryHandle, head: HeadFile?, staticState: HeadState = HeadState(), checkHead: Bool = false) {
        self.folder = folder
        self.catalog = SegmentCatalog(folder: folder)
        self.openedHead = head
        self.staticState = staticState
        self.identity = FileSystem.identity(of: folder.path)
        let published = checkHead ? head?.read() : nil
        staleHead = published.flatMap { p in StaleHead.readableState(in: folder, head: p.state).map { (p.sequence, $0) }
        }
    }

    /// The head file the state is read from; nil while there is none.
    package var head: HeadFile? { openedHead ?? discoveryLock.withLock { discoveredHead } }

    /// The latest published state and a sequence number that changes with it.
    package func snapshot() -> (state: HeadState, sequence: UInt64) {
        guard let head = head ?? (lookForHeadIsDue() && discoverHead() ? head : nil) else { return (staticState, 0) }
        let (state, sequence) = head.read()
        guard let staleHead, staleHead.sequence == sequence else { return (state, sequence) }
        var readable = staleHead.state
        readable.catalogVersion = state.catalogVersion
        return (readable, sequence)
    }

    package var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    func markClosed() {
        closedFlag.store(true, ordering: .releasing)
        head?.wakeWaiters()
    }

    /// True once the path no longer names the directory opened: nothing
    /// will ever be published there again for a cursor to wait for.
    package var directoryIsGone: Bool { identity != nil && FileSystem.identity(of: directory) != identity }

    /// Wakes every waiting cursor (they re-check their state and sleep again).
    package func wakeWaiters() { head?.wakeWaiters() }

    /// Waits until a publish after `sequence`, the deadline, close, or
    /// `interrupted` returning true. Returns true if something was published.
    package func waitForPublish(after sequence: UInt64, deadline: UInt64?, interrupted: () -> Bool) -> Bool {
        guard let head else {
            // Nobody publishes here yet (a plain Kafka directory, or one a
            // writer has not opened yet): sleep in short slices until the
            // deadline so interrupts and close are noticed, and look for a
            // head file after each. A stat every 10 ms costs an idle
            // reader about 0.01 % of a core.
            if discoverHead() { return true }
            let slice: UInt64 = 10_000_000
            let now = monotonicNanoseconds()
            let sleepFor = deadline.map { $0 > now ? min($0 - now, slice) : 0 } ?? slice
            if sleepFor > 0 && !isClosed && !interrupted() {
                var ts = timespec(tv_sec: 0, tv_nsec: Int(sleepFor))
                nanosleep(&ts, nil)
            }
            return discoverHead()
        }
        return head.wait(whileSequenceIs: sequence, deadline: deadline) { isClosed || interrupted() }
    }

    /// Whether 10 ms have passed since the last look for a head file, so
    /// that reading a plain Kafka directory does not stat on every call.
    private func lookForHeadIsDue() -> Bool {
        let now = monotonicNanoseconds()
        return discoveryLock.withLock {
            guard now >= nextLookForHead else { return false }
            nextLookForHead = now + 10_000_000
            return true
        }
    }

    /// Adopts a head file that a writer created and published to since the
    /// open; true if one was adopted.
    private func discoverHead() -> Bool {
        guard openedHead == nil, FileSystem.exists(folder.child(HeadFile.fileName)) else { return false }
        guard let found = HeadFile.openForReader(in: folder), found.sequence > 0 else { return false }
        discoveryLock.withLock { if discoveredHead == nil { discoveredHead = found } }
        return true
    }

    /// The state of a directory nobody publishes for: the last segment is read
    /// up to its last complete batch.
    static func computeStaticState(folder: DirectoryHandle) throws(EventLogError) -> HeadState {
        var state = HeadState(offsetIndexEntries: allEntries, timeIndexEntries: allEntries)
        let bases = try SegmentCatalog.listBases(in: folder)
        guard let first = bases.first, let last = bases.last else { return state }
        state.startOffset = first
        state.activeBase = last
        let reader = try SegmentReader(folder: folder, base: last, active: false)
        let bytes = reader.bytes(limit: reader.mappedFileSize)
        let outcome = BatchScanner.scan(bytes, from: 0, limit: bytes.count, checkCRC: false)
        // A torn tail is where a writer stopped; damage is reported to the
        // cursor that reaches it, so it stays inside the readable range.
        state.committedPosition = Int64(outcome.damage == nil ? outcome.validEnd : bytes.count)
        state.nextOffset = outcome.nextOffset ?? last
        state.activeMaxTimestamp = outcome.maxTimestamp
        return state
    }
}
