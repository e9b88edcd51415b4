// What an open log shares with its cursors: the directory, its segment
// catalog, and the published state, read from the head file, or for a
// directory of plain Kafka segments (no head file), computed once at open.
// Thread-safe: every member is immutable or synchronised.
import EventLogFormat
import Glibc
import Synchronization

public final class LogState: @unchecked Sendable {
    /// The directory as it was opened, for messages and path-based tools.
    public let directory: String
    /// The directory held open: the log's files are opened through it.
    public let folder: DirectoryHandle
    public let catalog: SegmentCatalog
    public let head: HeadFile?
    private let staticState: HeadState
    private let closedFlag = Atomic<Bool>(false)

    /// Index entry counts meaning "as many as the file holds".
    public static let allEntries = UInt32.max

    init(folder: DirectoryHandle, head: HeadFile?, staticState: HeadState = HeadState()) {
        self.directory = folder.path
        self.folder = folder
        self.catalog = SegmentCatalog(folder: folder)
        self.head = head
        self.staticState = staticState
    }

    /// The latest published state and a sequence number that changes with it.
    public func snapshot() -> (state: HeadState, sequence: UInt64) {
        guard let head else { return (staticState, 0) }
        return head.read()
    }

    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    func markClosed() {
        closedFlag.store(true, ordering: .releasing)
        head?.wakeWaiters()
    }

    /// Wakes every waiting cursor (they re-check their state and sleep again).
    public func wakeWaiters() { head?.wakeWaiters() }

    /// Waits until a publish after `sequence`, the deadline, close, or
    /// `interrupted` returning true. Returns true if something was published.
    public func waitForPublish(after sequence: UInt64, deadline: UInt64?, interrupted: () -> Bool) -> Bool {
        guard let head else {
            // Nobody publishes to a plain Kafka directory: sleep in short
            // slices until the deadline so interrupts and close are noticed.
            let slice: UInt64 = 10_000_000
            let now = monotonicNanoseconds()
            let sleepFor = deadline.map { $0 > now ? min($0 - now, slice) : 0 } ?? slice
            if sleepFor > 0 && !isClosed && !interrupted() {
                var ts = timespec(tv_sec: 0, tv_nsec: Int(sleepFor))
                nanosleep(&ts, nil)
            }
            return false
        }
        return head.wait(whileSequenceIs: sequence, deadline: deadline) { isClosed || interrupted() }
    }

    /// The state of a directory nobody publishes for: the last segment is read
    /// up to its last complete batch.
    static func computeStaticState(folder: DirectoryHandle) throws(EventLogError) -> HeadState {
        var state = HeadState()
        state.offsetIndexEntries = allEntries
        state.timeIndexEntries = allEntries
        let bases = try SegmentCatalog.listBases(in: folder)
        guard let first = bases.first, let last = bases.last else { return state }
        state.startOffset = first
        state.activeBase = last
        state.nextOffset = last
        let reader = try SegmentReader(folder: folder, base: last, active: false)
        let bytes = reader.bytes(limit: reader.mappedFileSize)
        var maxTimestamp: Int64 = -1
        var nextOffset = last
        let outcome = BatchScanner.scan(bytes, from: 0, limit: bytes.count, checkCRC: false) { batch in
            nextOffset = batch.header.nextOffset
            maxTimestamp = max(maxTimestamp, batch.header.maxTimestamp)
        }
        // A torn tail is where a writer stopped; damage is reported to the
        // cursor that reaches it, so it stays inside the readable range.
        state.committedPosition = Int64(outcome.damage == nil ? outcome.validEnd : bytes.count)
        state.nextOffset = nextOffset
        state.activeMaxTimestamp = maxTimestamp
        return state
    }
}
